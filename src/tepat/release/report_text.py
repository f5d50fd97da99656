"""Words of the release report in Bahasa Indonesia and English.

Official terms (desil, KK, NIK, PKH, BPNT, PBI-JK, ...) stay as they are in both languages.
Entries whose key ends in ``_html`` are trusted markup with ``{placeholders}``; every other
entry is plain text that the report escapes.
"""

from __future__ import annotations

TEXT: dict[str, tuple[str, str]] = {
    # Page and header.
    "title": ("Laporan Rilis DTSEN", "DTSEN Release Report"),
    "contents": ("Isi laporan", "Contents"),
    "release": ("Rilis", "Release"),
    "scope": ("Wilayah", "Scope"),
    "data_cut": ("Data per", "Data cut"),
    "previous": ("Rilis sebelumnya", "Previous release"),
    "first_release": ("tidak ada (rilis pertama)", "none (first release)"),
    "decile_base": ("Dasar desil", "Desil base"),
    "base_people": ("jiwa (orang)", "people"),
    "base_households": ("keluarga (KK)", "families (KK)"),
    "version_model": ("Versi model PMT", "PMT model version"),
    "version_rules": ("Versi aturan program", "Program rules version"),
    "version_code": ("Versi kode Tepat", "Tepat code version"),
    "na": ("Tidak tersedia dalam rilis ini.", "Not available in this release."),
    "total": ("Jumlah", "Total"),
    "footer": (
        "Dibuat oleh Tepat {code}. Laporan ini tidak memuat NIK maupun nama.",
        "Made by Tepat {code}. This report contains no NIK and no names.",
    ),
    # Section titles.
    "s_figures": ("Angka utama", "Key figures"),
    "s_desil": ("Sebaran desil", "Desil distribution"),
    "s_programs": ("Cakupan dan biaya program", "Program coverage and yearly cost"),
    "s_regions": ("Cakupan dan biaya per wilayah", "Coverage and cost by region"),
    "s_targeting": ("Ketepatan sasaran", "Targeting error"),
    "s_changes": ("Perubahan sejak rilis sebelumnya", "Changes since the previous release"),
    "s_movements": ("Perpindahan desil terbesar", "Biggest desil movements"),
    "s_inputs": ("Berkas masukan", "Input files"),
    "s_outputs": ("Berkas keluaran", "Output files"),
    "s_glossary": ("Glosarium", "Glossary"),
    # Key figures.
    "people": ("Jiwa", "People"),
    "households": ("Keluarga (KK)", "Families (KK)"),
    "people_unranked": ("Jiwa belum diperingkat", "People not ranked"),
    "people_d14": ("Jiwa di desil 1–4", "People in desil 1–4"),
    "beneficiaries_all": ("Penerima, semua program", "Beneficiaries, all programs"),
    "beneficiaries_note": (
        "dijumlahkan per program; satu keluarga dapat menerima beberapa program",
        "summed over programs; one family may receive several",
    ),
    "beneficiaries_short": ("dijumlahkan per program", "summed over programs"),
    "cost_all": ("Biaya setahun, semua program", "Yearly cost, all programs"),
    # Units.
    "unit_household": ("keluarga", "families"),
    "unit_person": ("jiwa", "people"),
    # Desil.
    "desil": ("Desil", "Desil"),
    "share_people": ("Bagian jiwa", "Share of people"),
    "desil_chart": ("Bagian jiwa per desil", "Share of people per desil"),
    "desil_note": (
        "Desil dihitung secara nasional, sehingga di satu wilayah bagiannya bisa jauh dari 10%. "
        "Garis putus-putus menandai 10%. Desil 1 adalah yang paling miskin.",
        "Desils are national, so within one region the shares can be far from 10%. "
        "The dashed line marks 10%. Desil 1 is the poorest.",
    ),
    "unranked_note": (
        "{n} jiwa belum diperingkat dan tidak masuk desil mana pun.",
        "{n} people are not ranked and are in no desil.",
    ),
    # Programs.
    "program": ("Program", "Program"),
    "name": ("Nama", "Name"),
    "unit": ("Satuan", "Unit"),
    "beneficiaries": ("Penerima", "Beneficiaries"),
    "people_covered": ("Jiwa tercakup", "People covered"),
    "cost_year": ("Biaya setahun", "Yearly cost"),
    "cost_per": ("Biaya per penerima", "Cost per beneficiary"),
    "chart_covered": ("Jiwa tercakup per program", "People covered per program"),
    "chart_beneficiaries": ("Penerima per program", "Beneficiaries per program"),
    "chart_cost": ("Biaya setahun per program", "Yearly cost per program"),
    # Regions.
    "code": ("Kode", "Code"),
    "region": ("Wilayah", "Region"),
    "d14_share": ("Bagian desil 1–4", "Desil 1–4 share"),
    "regions_note": (
        "Diurutkan menurut kode wilayah. Warna kolom desil 1–4: makin gelap, makin besar bagian "
        "jiwa di desil 1–4 (skala 0% sampai 80% atau lebih). Kolom program menunjukkan jumlah "
        "penerima; arahkan kursor untuk biaya per program.",
        "Sorted by region code. Desil 1–4 column shading: the darker, the larger the share of "
        "people in desil 1–4 (scale 0% to 80% or more). Program columns show beneficiaries; "
        "hover for the cost per program.",
    ),
    # Targeting.
    "no_truth": (
        "Tidak ada data acuan (ground truth): kesalahan penargetan tidak diukur.",
        "No ground truth: targeting error not measured.",
    ),
    "series": ("Perbandingan", "Compared"),
    "series_model": ("Model Tepat", "Tepat model"),
    "series_plain_pmt": ("PMT biasa", "Plain PMT"),
    "series_housing_score": ("Skor perumahan", "Housing score"),
    "series_anchor": ("Alatas dkk. 2012", "Alatas et al. 2012"),
    "series_after_verification": ("Verifikasi lapangan", "Field verification"),
    "m_mistargeting": ("Salah sasaran", "Mistargeting"),
    "m_inclusion_error": ("Kesalahan inklusi", "Inclusion error"),
    "m_exclusion_error": ("Kesalahan eksklusi", "Exclusion error"),
    "m_right_decile_share": ("Desil tepat", "Right desil"),
    "targeting_chart": ("Kesalahan penargetan menurut cara", "Targeting error by method"),
    "target_group": ("desil 1–{cut}", "desil 1–{cut}"),
    "target_group_unknown": ("desil sasaran", "the target desils"),
    "verification_intro": ("Setelah verifikasi lapangan: ", "After field verification: "),
    "v_proposals_verified": ("{n} usulan diverifikasi", "{n} proposals verified"),
    "v_proposals_accepted": ("{n} usulan diterima", "{n} proposals accepted"),
    "v_objections_verified": ("{n} sanggah diperiksa", "{n} objections checked"),
    "v_objections_upheld": ("{n} sanggah diterima", "{n} objections upheld"),
    "targeting_programs": ("Kesalahan per program", "Error per program"),
    "targeting_regions": ("Kesalahan per wilayah", "Error per region"),
    "targeting_explain_html": (
        "<p>Di sini <strong>masuk daftar</strong> berarti berada di {group} menurut model; "
        "<strong>berhak</strong> berarti berada di {group} menurut kesejahteraan yang sebenarnya "
        "(data acuan). Semua angka dihitung per jiwa: setiap keluarga ditimbang dengan jumlah "
        "anggotanya.</p>"
        "<ul>"
        "<li><strong>Kesalahan inklusi</strong>: dari orang yang tidak berhak, berapa bagian yang "
        "masuk daftar. Mereka menerima bantuan yang bukan haknya.</li>"
        "<li><strong>Kesalahan eksklusi</strong>: dari orang yang berhak, berapa bagian yang tidak "
        "masuk daftar. Mereka berhak, tetapi terlewat.</li>"
        "<li><strong>Salah sasaran</strong>: dari semua orang, berapa bagian yang salah tempat, "
        "baik masuk tanpa hak maupun berhak tetapi terlewat.</li>"
        "<li><strong>Desil tepat</strong>: berapa bagian orang yang ditempatkan tepat di desil "
        "sebenarnya.</li>"
        "</ul>"
        "<p>Untuk desil tepat, makin tinggi makin baik; untuk tiga angka lainnya, makin rendah "
        "makin baik. Pembanding: <em>PMT biasa</em> (PMT sederhana tanpa penyempurnaan model "
        "Tepat), <em>skor perumahan</em> (peringkat dari kondisi rumah saja), hasil PMT dalam uji "
        "lapangan <em>Alatas dkk. (2012)</em> di Indonesia, dan hasil setelah usulan diverifikasi "
        "di lapangan dan sanggah diputuskan.</p>",
        "<p>Here <strong>listed</strong> means in {group} according to the model; "
        "<strong>entitled</strong> means in {group} according to true welfare (the ground "
        "truth). All figures count people: each family is weighted by its number of members.</p>"
        "<ul>"
        "<li><strong>Inclusion error</strong>: of the people who are not entitled, the share that "
        "is listed. They receive help they are not entitled to.</li>"
        "<li><strong>Exclusion error</strong>: of the people who are entitled, the share that is "
        "not listed. They are entitled but missed.</li>"
        "<li><strong>Mistargeting</strong>: of all people, the share in the wrong place, either "
        "listed without entitlement or entitled but missed.</li>"
        "<li><strong>Right desil</strong>: the share of people placed in their true desil.</li>"
        "</ul>"
        "<p>For right desil, higher is better; for the other three, lower is better. Compared "
        "with: <em>plain PMT</em> (a simple PMT without Tepat's refinements), <em>housing "
        "score</em> (a ranking from housing conditions alone), the PMT result of the field "
        "experiment by <em>Alatas et al. (2012)</em> in Indonesia, and the result after proposals "
        "were verified in the field and objections decided.</p>",
    ),
    "targeting_programs_note": (
        "Per program: keputusan berdasarkan desil model dibandingkan dengan aturan yang sama "
        "pada desil sebenarnya.",
        "Per program: decisions on the model's desil compared with the same rules applied to "
        "the true desil.",
    ),
    "people_selected": ("Jiwa terpilih", "People selected"),
    "people_who_should_be": ("Jiwa yang berhak", "People entitled"),
    # Changes.
    "compared_with": ("Dibandingkan dengan rilis {id}.", "Compared with release {id}."),
    "first_release_note": (
        "Ini rilis pertama; belum ada pembanding.",
        "This is the first release; there is nothing to compare with.",
    ),
    "new_households": ("Keluarga baru", "New families"),
    "gone_households": ("Keluarga keluar dari data", "Families no longer in the data"),
    "households_changed_desil": ("Keluarga pindah desil", "Families that changed desil"),
    "entered": ("Masuk", "Entered"),
    "left": ("Keluar", "Left"),
    "net": ("Selisih", "Net"),
    "reasons_entered": ("Alasan masuk", "Reasons entered"),
    "reasons_left": ("Alasan keluar", "Reasons left"),
    "program_changes": ("Penerima masuk dan keluar per program", "Beneficiaries in and out"),
    "matrix": ("Perpindahan desil keluarga", "Desil transitions of families"),
    "matrix_corner": ("dari ↓ / ke →", "from ↓ / to →"),
    "matrix_summary": (
        "{up} keluarga naik ke desil lebih tinggi (lebih sejahtera), {down} turun ke desil lebih "
        "rendah, {same} tetap.",
        "{up} families moved to a higher (better-off) desil, {down} to a lower desil, "
        "{same} stayed.",
    ),
    "matrix_note": (
        "Baris: desil di rilis sebelumnya; kolom: desil di rilis ini. Warna: makin gelap, makin "
        "banyak keluarga yang pindah; diagonal (tetap) diberi bingkai.",
        "Rows: desil in the previous release; columns: desil in this release. Shading: the "
        "darker, the more families moved; the diagonal (stayed) is framed.",
    ),
    "matrix_skipped": (
        "{n} entri dengan desil di luar 1–10 tidak ditampilkan.",
        "{n} entries with a desil outside 1–10 are not shown.",
    ),
    # Movements.
    "family": ("Keluarga (id samaran)", "Family (opaque id)"),
    "village": ("Desa/kelurahan", "Village"),
    "from_desil": ("Dari desil", "From desil"),
    "to_desil": ("Ke desil", "To desil"),
    "change": ("Perubahan", "Change"),
    "reason": ("Alasan", "Reason"),
    "movements_note": (
        "Hanya id keluarga samaran dan nama desa/kelurahan; NIK dan nama orang tidak ditampilkan.",
        "Opaque family ids and village names only; no NIK and no personal names are shown.",
    ),
    "movements_more": ("{n} baris lain tidak ditampilkan.", "{n} more rows are not shown."),
    # Files.
    "file": ("Berkas", "File"),
    "rows": ("Baris", "Rows"),
    "sha256_note": (
        "SHA-256 dipersingkat; arahkan kursor untuk nilai lengkap.",
        "SHA-256 shortened; hover for the full value.",
    ),
}

# Display names of program codes; any other code is shown upper-cased.
PROGRAM_LABELS: dict[str, str] = {
    "pkh": "PKH",
    "bpnt": "BPNT",
    "sembako": "Sembako",
    "pbi_jk": "PBI-JK",
    "pbi-jk": "PBI-JK",
    "pbijk": "PBI-JK",
    "pip": "PIP",
    "kip_kuliah": "KIP Kuliah",
    "kip-kuliah": "KIP Kuliah",
    "prakerja": "Prakerja",
    "blt_kesra": "BLT Kesra",
    "blt-kesra": "BLT Kesra",
    "sekolah_rakyat": "Sekolah Rakyat",
    "sekolah-rakyat": "Sekolah Rakyat",
    "umkm": "UMKM",
    "beasiswa": "Beasiswa",
}

# (term, Indonesian explanation, English explanation).
GLOSSARY: tuple[tuple[str, str, str], ...] = (
    (
        "DTSEN",
        "Data Tunggal Sosial dan Ekonomi Nasional: satu data nasional keluarga dan orang beserta "
        "peringkat kesejahteraannya, dikelola BPS.",
        "Data Tunggal Sosial dan Ekonomi Nasional: the single national registry of families and "
        "people with their welfare ranking, kept by BPS.",
    ),
    (
        "desil",
        "Kelompok sepersepuluh dari peringkat kesejahteraan nasional; desil 1 adalah 10% "
        "termiskin, desil 10 yang paling sejahtera.",
        "A tenth of the national welfare ranking; desil 1 is the poorest 10%, desil 10 the "
        "best-off.",
    ),
    (
        "KK",
        "Kartu Keluarga; nomornya (16 angka) menandai satu keluarga.",
        "Kartu Keluarga, the family card; its 16-digit number identifies one family.",
    ),
    (
        "NIK",
        "Nomor Induk Kependudukan, nomor identitas 16 angka. Tidak pernah dicetak di laporan ini.",
        "Nomor Induk Kependudukan, the 16-digit identity number. Never printed in this report.",
    ),
    (
        "PMT",
        "Proxy means test: model yang memperkirakan pengeluaran per kapita dari aset dan "
        "karakteristik keluarga yang dapat diamati.",
        "Proxy means test: a model that estimates spending per person from observable assets "
        "and characteristics of the family.",
    ),
    (
        "PKH",
        "Program Keluarga Harapan: bantuan tunai bersyarat untuk keluarga miskin dengan ibu "
        "hamil, anak, lansia atau penyandang disabilitas berat (desil 1–4).",
        "Program Keluarga Harapan: conditional cash transfers to poor families with pregnant "
        "women, children, elderly or severely disabled members (desil 1–4).",
    ),
    (
        "BPNT",
        "Bantuan Pangan Non-Tunai (Program Sembako): bantuan pangan lewat kartu elektronik "
        "(desil 1–5).",
        "Bantuan Pangan Non-Tunai (Sembako programme): food assistance on an electronic card "
        "(desil 1–5).",
    ),
    (
        "PBI-JK",
        "Penerima Bantuan Iuran Jaminan Kesehatan: iuran JKN dibayar negara (desil 1–5).",
        "Penerima Bantuan Iuran Jaminan Kesehatan: national health insurance premiums paid by "
        "the state (desil 1–5).",
    ),
    (
        "PIP / KIP Kuliah",
        "Program Indonesia Pintar untuk anak sekolah; KIP Kuliah untuk mahasiswa (desil 1–3).",
        "Program Indonesia Pintar, cash for school children; KIP Kuliah for university students "
        "(desil 1–3).",
    ),
    (
        "BLT Kesra",
        "Bantuan langsung tunai kesejahteraan rakyat (desil 1–4).",
        "Direct cash transfer for people's welfare (desil 1–4).",
    ),
    (
        "Sekolah Rakyat",
        "Sekolah berasrama gratis untuk anak dari desil 1–2, dengan kunjungan rumah.",
        "Free boarding school for children from desil 1–2, after a home visit.",
    ),
    (
        "Prakerja",
        "Kartu Prakerja: pelatihan dan insentif bagi usia kerja 18–64 tahun.",
        "Kartu Prakerja: training and an incentive for people of working age (18–64).",
    ),
    (
        "usulan / sanggah",
        "Usulan: permintaan menambah, mengubah atau menghapus keluarga. Sanggah: keberatan atas "
        "data atau keputusan kelayakan.",
        "Usulan: a proposal to add, change or remove a family. Sanggah: an objection to a "
        "family's data or an eligibility decision.",
    ),
    (
        "SHA-256",
        "Sidik jari berkas: nilai yang sama berarti isi berkas sama persis.",
        "A file fingerprint: the same value means exactly the same file content.",
    ),
)


def text(key: str, lang: str) -> str:
    """The entry ``key`` in ``lang`` (``id`` or ``en``)."""
    indonesian, english = TEXT[key]
    return indonesian if lang == "id" else english


def program_label(code: str) -> str:
    """The display name of a program code: ``pkh`` -> ``PKH``, ``kip_kuliah`` -> ``KIP Kuliah``."""
    return PROGRAM_LABELS.get(code.strip().lower(), code.strip().upper())
