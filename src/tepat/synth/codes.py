"""Regsosek 2022 code lists used by the synthetic population, the sources and the registry.

The codes follow an unofficial copy of the REGSOSEK22-K questionnaire (DTSEN.md §1a, marked [U]);
where the questionnaire's exact list was not available (r413, r417, r430) the list is ours and
documented in ``docs/SOURCES.md``. Each table maps code -> Indonesian label.
"""

from __future__ import annotations

from typing import Final

RELATIONSHIP: Final = {
    1: "Kepala keluarga",
    2: "Istri/suami",
    3: "Anak",
    4: "Menantu",
    5: "Cucu",
    6: "Orang tua/mertua",
    7: "Pembantu/sopir",
    8: "Lainnya",
}
MARITAL: Final = {1: "Belum kawin", 2: "Kawin", 3: "Cerai hidup", 4: "Cerai mati"}
OWNERSHIP: Final = {
    1: "Milik sendiri",
    2: "Kontrak/sewa",
    3: "Bebas sewa",
    4: "Dinas",
    5: "Lainnya",
}
LAND_TITLE: Final = {
    1: "SHM atas nama anggota keluarga",
    2: "SHM bukan atas nama anggota keluarga",
    3: "Sertifikat selain SHM",
    4: "Surat bukti lainnya (girik, letter C)",
    5: "Tidak punya",
    6: "Tidak tahu",
}
FLOOR: Final = {
    1: "Marmer/granit",
    2: "Keramik",
    3: "Parket/vinil/karpet",
    4: "Ubin/tegel/teraso",
    5: "Kayu/papan",
    6: "Semen/bata merah",
    7: "Bambu",
    8: "Tanah",
    9: "Lainnya",
}
WALL: Final = {
    1: "Tembok",
    2: "Plesteran anyaman bambu/kawat",
    3: "Kayu/papan/gypsum/GRC/calciboard",
    4: "Anyaman bambu",
    5: "Batang kayu",
    6: "Bambu",
    7: "Lainnya",
}
ROOF: Final = {
    1: "Beton",
    2: "Genteng",
    3: "Seng",
    4: "Asbes",
    5: "Bambu",
    6: "Kayu/sirap",
    7: "Jerami/ijuk/daun/rumbia",
    8: "Lainnya",
}
WATER: Final = {
    1: "Air kemasan bermerk",
    2: "Air isi ulang",
    3: "Leding",
    4: "Sumur bor/pompa",
    5: "Sumur terlindung",
    6: "Sumur tak terlindung",
    7: "Mata air terlindung",
    8: "Mata air tak terlindung",
    9: "Air permukaan (sungai/danau/waduk)",
    10: "Air hujan",
    11: "Lainnya",
}
LIGHTING: Final = {
    1: "Listrik PLN dengan meteran",
    2: "Listrik PLN tanpa meteran",
    3: "Listrik non-PLN",
    4: "Bukan listrik",
}
POWER: Final = {1: "450 watt", 2: "900 watt", 3: "1.300 watt", 4: "2.200 watt", 5: "> 2.200 watt"}
COOKING_FUEL: Final = {
    0: "Tidak memasak di rumah",
    1: "Listrik",
    2: "Gas elpiji 5,5 kg/blue gaz",
    3: "Gas elpiji 12 kg",
    4: "Gas elpiji 3 kg",
    5: "Biogas",
    6: "Minyak tanah",
    7: "Briket",
    8: "Arang",
    9: "Kayu bakar",
    10: "Lainnya",
}
TOILET: Final = {
    1: "Ada, digunakan hanya anggota keluarga sendiri",
    2: "Ada, digunakan bersama keluarga lain",
    3: "Ada, di MCK komunal",
    4: "Ada, di MCK umum/siapapun menggunakan",
    5: "Ada, anggota keluarga tidak menggunakan",
    6: "Tidak ada fasilitas",
}
TOILET_TYPE: Final = {
    1: "Leher angsa",
    2: "Plengsengan dengan tutup",
    3: "Plengsengan tanpa tutup",
    4: "Cemplung/cubluk",
}
EXCRETA: Final = {
    1: "Tangki septik",
    2: "IPAL",
    3: "Kolam/sawah/sungai/danau/laut",
    4: "Lubang tanah",
    5: "Pantai/tanah lapang/kebun",
    6: "Lainnya",
}
SCHOOL_PARTICIPATION: Final = {
    0: "Tidak/belum pernah sekolah",
    1: "Masih sekolah",
    2: "Tidak bersekolah lagi",
}
EDUCATION_LEVEL: Final = {
    1: "Paket A",
    2: "SDLB",
    3: "SD",
    4: "MI",
    5: "SPM/PDF Ula",
    6: "Paket B",
    7: "SMPLB",
    8: "SMP",
    9: "MTs",
    10: "SPM/PDF Wustha",
    11: "Paket C",
    12: "SMLB",
    13: "SMA",
    14: "MA",
    15: "SMK",
    16: "MAK",
    17: "SPM/PDF Ulya",
    18: "D1/D2",
    19: "D3",
    20: "D4/S1",
    21: "Profesi",
    22: "S2",
    23: "S3",
}
DIPLOMA: Final = {
    0: "Tidak punya ijazah",
    1: "SD/sederajat",
    2: "SMP/sederajat",
    3: "SMA/sederajat",
    4: "D1/D2/D3",
    5: "D4/S1",
    6: "S2",
    7: "S3",
}
INDUSTRY: Final = {
    1: "Pertanian tanaman padi dan palawija",
    2: "Hortikultura",
    3: "Perkebunan",
    4: "Perikanan",
    5: "Peternakan",
    6: "Kehutanan dan pertanian lainnya",
    7: "Pertambangan dan penggalian",
    8: "Industri pengolahan",
    9: "Listrik dan gas",
    10: "Air, sampah dan daur ulang",
    11: "Konstruksi",
    12: "Perdagangan",
    13: "Pengangkutan dan pergudangan",
    14: "Penyediaan akomodasi dan makan minum",
    15: "Informasi dan komunikasi",
    16: "Keuangan dan asuransi",
    17: "Real estat",
    18: "Jasa perusahaan",
    19: "Administrasi pemerintahan",
    20: "Jasa pendidikan",
    21: "Jasa kesehatan",
    22: "Jasa kemasyarakatan",
    23: "Pemulung",
    24: "Rumah tangga",
    25: "Badan internasional",
    26: "Lainnya",
}
EMPLOYMENT_STATUS: Final = {
    1: "Berusaha sendiri",
    2: "Berusaha dibantu buruh tidak tetap/tidak dibayar",
    3: "Berusaha dibantu buruh tetap/dibayar",
    4: "Buruh/karyawan/pegawai swasta",
    5: "PNS/TNI/Polri/BUMN/BUMD/anggota legislatif",
    6: "Pekerja bebas pertanian",
    7: "Pekerja bebas nonpertanian",
    8: "Pekerja keluarga/tidak dibayar",
}
DISABILITY: Final = {
    1: "Tidak mengalami kesulitan",
    2: "Sedikit kesulitan",
    3: "Banyak kesulitan",
    4: "Tidak bisa sama sekali",
}
DISABILITY_DOMAINS: Final = (
    "penglihatan",
    "pendengaran",
    "berjalan",
    "tangan/jari",
    "belajar",
    "perilaku",
    "komunikasi",
    "mengurus diri",
    "mengingat",
    "depresi",
)
CHRONIC_DISEASE: Final = {
    0: "Tidak ada",
    1: "Hipertensi",
    2: "Rematik",
    3: "Asma",
    4: "Masalah jantung",
    5: "Diabetes",
    6: "Tuberkulosis (TBC)",
    7: "Stroke",
    8: "Kanker",
    9: "Gagal ginjal",
    10: "Hepatitis",
    11: "Epilepsi",
    12: "Kolesterol",
    13: "Paru kronis (PPOK)",
    14: "HIV/AIDS",
    15: "Gangguan jiwa berat",
    16: "Thalasemia",
    17: "Lupus",
    18: "Lainnya",
}
BUSINESS_TURNOVER: Final = {
    1: "< Rp 5 juta",
    2: "Rp 5 - < 15 juta",
    3: "Rp 15 - < 25 juta",
    4: "Rp 25 - < 50 juta",
    5: "Rp 50 - < 100 juta",
    6: "Rp 100 - < 250 juta",
    7: ">= Rp 250 juta",
}  # r425 monthly turnover class (our bands; the questionnaire's were not available)
ID_DOCUMENTS_BITS: Final = {1: "Akta kelahiran", 2: "KIA", 4: "KTP"}  # r411 bitmask
HEALTH_INSURANCE_BITS: Final = {
    1: "PBI-JKN",
    2: "JKN mandiri",
    4: "JKN pemberi kerja",
    8: "Lainnya",
}  # r431a bitmask
# r501a-g: programs received Oct 2021 - Oct 2022, stored as a bitmask in this order.
PROGRAMS_RECEIVED: Final = (
    "Sembako/BPNT",
    "PKH",
    "BLT Desa",
    "Subsidi listrik",
    "Bantuan pemerintah daerah",
    "Subsidi pupuk",
    "Subsidi LPG",
)
OCCUPATION_GROUPS: Final = ("asn", "tni", "polri", "bumn", "village_official")
