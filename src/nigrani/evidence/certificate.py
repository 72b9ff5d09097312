"""The Section 63 certificate (Schedule, Bharatiya Sakshya Adhiniyam 2023) as PDF, Hindi or English.

Part A is filled from what the evidence store knows (devices, hash values, time in IST,
place) and leaves lines for the signer; Part B, the expert's, is left blank. The wording
follows the Schedule to section 63(4)(c); the Hindi is a plain rendering of it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from fpdf.fonts import FontFace

from nigrani.core.i18n import pick, to_ist
from nigrani.core.pdf import LATIN, FormPDF
from nigrani.evidence.device import KINDS, Device

Span = tuple[datetime | None, datetime | None]
LANGUAGES = ("en", "hi")
BLANK = "_" * 20
MUTED = (90, 98, 110)
HEAD = FontFace(emphasis="BOLD", fill_color=(238, 241, 245))
DEVICE_WIDTHS = (12, 27, 34, 32, 35, 40)
SIGNER = ("name", "designation", "signature", "date", "time", "place")
SOURCES = ("computer", "dvr", "mobile", "flash", "cd", "server", "cloud", "other")
CONTROL = ("owned", "maintained", "managed", "operated")
ALGORITHMS = ("SHA1", "SHA256", "MD5")
# A device described this long after its file came (a row from before devices were kept
# with each item) is marked as such on the certificate.
LATER = timedelta(minutes=1)

# Each phrase as (English, Hindi); the gettext catalogue is not used because the
# certificate must read the same whatever the caller's language is.
TEXT: dict[str, tuple[str, str]] = {
    "schedule": ("THE SCHEDULE [See section 63(4)(c)]", "अनुसूची [धारा 63(4)(ग) देखिए]"),
    "title": ("CERTIFICATE", "प्रमाणपत्र"),
    "act": (
        "Bharatiya Sakshya Adhiniyam, 2023 — electronic or digital records",
        "भारतीय साक्ष्य अधिनियम, 2023 — इलेक्ट्रॉनिक या डिजिटल अभिलेख",
    ),
    "case": ("Case / FIR", "मामला / एफ़आईआर"),
    "station": ("Police station", "थाना"),
    "court": ("Court", "न्यायालय"),
    "produced": ("Hash values computed", "हैश मान की गणना"),
    "files": ("Files", "फ़ाइलें"),
    "part_a": ("PART A (To be filled by the Party)", "भाग क (पक्षकार द्वारा भरा जाए)"),
    "part_b": ("PART B (To be filled by the Expert)", "भाग ख (विशेषज्ञ द्वारा भरा जाए)"),
    "affirm": (
        "I, {b} (Name), Son/daughter/spouse of {b} residing/employed at {b} do hereby "
        "solemnly affirm and sincerely state and submit as follows:—",
        "मैं, {b} (नाम), पुत्र/पुत्री/पति/पत्नी {b}, निवासी/नियोजित {b}, सत्यनिष्ठा से "
        "प्रतिज्ञान करता/करती हूँ और निष्ठापूर्वक निम्नलिखित कथन करता/करती हूँ:—",
    ),
    "produced_from": (
        "I have produced electronic record/output of the digital record taken from the "
        "following device/digital record source (tick mark):—",
        "मैंने निम्नलिखित युक्ति/डिजिटल अभिलेख स्रोत से लिया गया इलेक्ट्रॉनिक अभिलेख/डिजिटल "
        "अभिलेख का आउटपुट प्रस्तुत किया है (सही का निशान लगाएँ):—",
    ),
    "obtained_from": (
        "The produced electronic record/output of the digital record are obtained from the "
        "following device/digital record source (tick mark):—",
        "प्रस्तुत इलेक्ट्रॉनिक अभिलेख/डिजिटल अभिलेख का आउटपुट निम्नलिखित युक्ति/डिजिटल "
        "अभिलेख स्रोत से प्राप्त किया गया है (सही का निशान लगाएँ):—",
    ),
    "computer": ("Computer / Storage Media", "कंप्यूटर / भंडारण माध्यम"),
    "dvr": ("DVR", "डीवीआर"),
    "mobile": ("Mobile", "मोबाइल"),
    "flash": ("Flash Drive", "फ़्लैश ड्राइव"),
    "cd": ("CD/DVD", "सीडी/डीवीडी"),
    "server": ("Server", "सर्वर"),
    "cloud": ("Cloud", "क्लाउड"),
    "other": ("Other", "अन्य"),
    "cctv": ("CCTV camera", "सीसीटीवी कैमरा"),
    "device": ("Device", "युक्ति"),
    "make_model": ("Make & Model", "मेक और मॉडल"),
    "colour": ("Color", "रंग"),
    "serial": ("Serial Number", "क्रम संख्या (सीरियल नंबर)"),
    "ids": (
        "IMEI / UIN / UID / MAC / Cloud ID (as applicable)",
        "IMEI / UIN / UID / MAC / क्लाउड आईडी (जो लागू हो)",
    ),
    "place": ("Place", "स्थान"),
    "controlled": (
        "No. {n} is recorded as under the control of: {who}",
        "क्रम {n} अभिलेख के अनुसार इनके नियंत्रण में है: {who}",
    ),
    "as_received": (
        "The particulars of each device are those recorded when the file was received, "
        "unless the file's line below says otherwise.",
        "प्रत्येक युक्ति का विवरण वही है जो फ़ाइल प्राप्त होते समय दर्ज किया गया था, जब तक "
        "नीचे उस फ़ाइल की पंक्ति में अन्यथा न लिखा हो।",
    ),
    "recorded_later": (
        "particulars as the registry held them on {time}",
        "विवरण जैसा रजिस्टर में {time} को था",
    ),
    "more": (
        "and any other relevant information, if any, about the device/digital record "
        "{b} (specify).",
        "और युक्ति/डिजिटल अभिलेख के बारे में अन्य सुसंगत जानकारी, यदि कोई हो, {b} (उल्लेख करें)।",
    ),
    "store": (
        "Other relevant information: the copies produced are output of the Nigrani evidence "
        "store (server), which keeps each file under its SHA-256 hash value. On {time} every "
        "hash value below was computed again from the stored file and matched the value "
        "recorded when the file was received. Exported by user: {user}.",
        "अन्य सुसंगत जानकारी: प्रस्तुत प्रतियाँ निगरानी साक्ष्य भंडार (सर्वर) का आउटपुट हैं, जो "
        "प्रत्येक फ़ाइल को उसके SHA-256 हैश मान के अंतर्गत रखता है। {time} को नीचे दिए गए "
        "प्रत्येक हैश मान की संग्रहीत फ़ाइल से फिर से गणना की गई, और वह फ़ाइल प्राप्त होते समय "
        "दर्ज मान से मेल खाता है। निर्यात करने वाला उपयोगकर्ता: {user}।",
    ),
    "lawful": (
        "The digital device or the digital record source was under the lawful control for "
        "regularly creating, storing or processing information for the purposes of carrying "
        "out regular activities and during this period, the computer or the communication "
        "device was working properly and the relevant information was regularly fed into the "
        "computer during the ordinary course of business. If the computer/digital device at "
        "any point of time was not working properly or out of operation, then it has not "
        "affected the electronic/digital record or its accuracy. The digital device or the "
        "source of the digital record is:—",
        "नियमित गतिविधियों के संचालन के प्रयोजन से सूचना का नियमित रूप से सृजन, भंडारण या "
        "प्रसंस्करण करने के लिए यह डिजिटल युक्ति या डिजिटल अभिलेख स्रोत विधिपूर्ण नियंत्रण में "
        "था, और इस अवधि में कंप्यूटर या संचार युक्ति ठीक से काम कर रही थी तथा कामकाज के "
        "सामान्य क्रम में सुसंगत सूचना नियमित रूप से कंप्यूटर में डाली जाती रही। यदि कंप्यूटर/"
        "डिजिटल युक्ति किसी समय ठीक से काम नहीं कर रही थी या बंद थी, तो इससे इलेक्ट्रॉनिक/"
        "डिजिटल अभिलेख या उसकी शुद्धता पर कोई प्रभाव नहीं पड़ा है। यह डिजिटल युक्ति या "
        "डिजिटल अभिलेख का स्रोत:—",
    ),
    "owned": ("Owned", "मेरे स्वामित्व में"),
    "maintained": ("Maintained", "मेरे द्वारा अनुरक्षित"),
    "managed": ("Managed", "मेरे द्वारा प्रबंधित"),
    "operated": ("Operated", "मेरे द्वारा संचालित"),
    "by_me": ("by me (select as applicable).", "है (जो लागू हो, चुनें)।"),
    "hash_a": (
        "I state that the HASH value/s of the electronic/digital record/s is/are given "
        "below, obtained through the following algorithm:—",
        "मैं कथन करता/करती हूँ कि इलेक्ट्रॉनिक/डिजिटल अभिलेख/अभिलेखों के हैश मान नीचे दिए "
        "गए हैं, जो निम्नलिखित एल्गोरिद्म से प्राप्त किए गए हैं:—",
    ),
    "hash_b": (
        "I state that the HASH value/s of the electronic/digital record/s is {b}, obtained "
        "through the following algorithm:—",
        "मैं कथन करता/करती हूँ कि इलेक्ट्रॉनिक/डिजिटल अभिलेख/अभिलेखों का हैश मान {b} है, जो "
        "निम्नलिखित एल्गोरिद्म से प्राप्त किया गया है:—",
    ),
    "standard": ("{b} (Legally acceptable standard)", "{b} (विधिक रूप से स्वीकार्य मानक)"),
    "report_a": (
        "(Hash report enclosed with the certificate: SHA256SUMS and manifest.json in the "
        "same bundle.)",
        "(हैश रिपोर्ट प्रमाणपत्र के साथ संलग्न: इसी बंडल में SHA256SUMS और manifest.json।)",
    ),
    "report_b": (
        "(Hash report to be enclosed with the certificate)",
        "(हैश रिपोर्ट प्रमाणपत्र के साथ संलग्न की जाए)",
    ),
    "bytes": ("bytes", "बाइट"),
    "claimed": ("Time stated by the sender", "भेजने वाले द्वारा बताया गया समय"),
    "probed": ("Time found in the file", "फ़ाइल में पाया गया समय"),
    "received": ("Received", "प्राप्त"),
    "delivered": ("delivered by", "सौंपने वाला"),
    "not_stated": ("not stated", "उल्लेख नहीं"),
    "no": ("No.", "क्रम"),
    "computed": ("Date and time of the hash values (IST)", "हैश मान की तारीख और समय (IST)"),
    "sign_a": ("(Name and signature)", "(नाम और हस्ताक्षर)"),
    "sign_b": ("(Name, designation and signature)", "(नाम, पदनाम और हस्ताक्षर)"),
    "name": ("Name", "नाम"),
    "designation": ("Designation", "पदनाम"),
    "signature": ("Signature", "हस्ताक्षर"),
    "date": ("Date (DD/MM/YYYY)", "तारीख (DD/MM/YYYY)"),
    "time": ("Time (IST): {b} hours (In 24 hours format)", "समय (IST): {b} बजे (24 घंटे के प्रारूप में)"),
    "page": (
        "Section 63 certificate · {ref} · page {page} of {pages}",
        "धारा 63 प्रमाणपत्र · {ref} · पृष्ठ {page} / {pages}",
    ),
}


@dataclass(frozen=True, slots=True)
class CaseInfo:
    """The case the records are produced in; `place` is where the certificate is made."""

    reference: str
    police_station: str = ""
    court: str = ""
    place: str = ""
    # The station's and the place's Hindi names, for the Hindi certificate.
    police_station_hi: str = ""
    place_hi: str = ""

    def station_in(self, lang: str) -> str:
        """The police station as the certificate in this language names it."""
        return pick((self.police_station, self.police_station_hi), lang) or self.police_station

    def place_in(self, lang: str) -> str:
        """Where the certificate is made, in this language (the station if not stated)."""
        return pick((self.place, self.place_hi), lang) or self.place or self.station_in(lang)


@dataclass(frozen=True, slots=True)
class CertifiedItem:
    """One produced file: its name in the bundle, hash, size and what is known of its origin."""

    entry: str
    sha256: str
    size_bytes: int
    media_type: str
    received_at: datetime
    delivered_by: str = ""
    device: Device | None = None
    device_recorded_at: datetime | None = None  # when `device` was described
    claimed: Span = (None, None)  # what the sender says the recording covers
    probed: Span = (None, None)  # what reading the file found


@dataclass(frozen=True, slots=True)
class CertificateData:
    """Everything the certificate states, as plain values; `produced_at` is the re-hash time."""

    case: CaseInfo
    items: list[CertifiedItem]
    produced_at: datetime
    exported_by: str = ""


def ist_text(value: datetime) -> str:
    """A time as the Schedule asks for it: DD/MM/YYYY, 24-hour, marked IST."""
    return f"{to_ist(value):%d/%m/%Y %H:%M} IST"


class CertificatePDF(FormPDF):
    """The certificate's pages, with its reference and "page n of m" at the foot."""

    def __init__(self, *, lang: str, reference: str) -> None:
        super().__init__(lang=lang)
        self.lang_index, self.reference = LANGUAGES.index(lang), reference
        self.set_margins(15, 14, 15)
        self.set_auto_page_break(auto=True, margin=18)

    def t(self, key: str, **values: str) -> str:
        """A phrase in the document's language; `{b}` stands for a blank to fill in."""
        return TEXT[key][self.lang_index].format(b=BLANK, **values)

    def footer(self) -> None:
        """The certificate's reference and page number, on every page."""
        self.set_y(-13)
        self.set_font(self.main_font, "", 7.5)
        self.set_text_color(*MUTED)
        page, pages = str(self.page_no()), self.str_alias_nb_pages
        self.cell(0, 4, self.t("page", ref=self.reference, page=page, pages=pages), align="C")


def _signer(pdf: CertificatePDF, note: str) -> None:
    """Lines for the signer to fill in by hand."""
    pdf.paragraph(note, bold=True, align="L")
    for key in SIGNER:
        label = pdf.t(key)
        pdf.ruled_line(label, until=pdf.l_margin + 120, rule=BLANK not in label)
    pdf.ln(2)


def _header(pdf: CertificatePDF, data: CertificateData) -> None:
    pdf.paragraph(pdf.t("schedule"), size=9, align="C")
    pdf.paragraph(pdf.t("title"), size=15, bold=True, align="C")
    pdf.paragraph(pdf.t("act"), size=9, align="C")
    pdf.ln(1)
    case = data.case
    facts = [
        ("case", case.reference),
        ("station", case.station_in(pdf.lang)),
        ("court", case.court),
        ("produced", ist_text(data.produced_at)),
        ("files", str(len(data.items))),
    ]
    for key, value in facts:
        if value:
            pdf.field(pdf.t(key), value)
    pdf.ln(2)


# How the callers name who delivered a file (stored in English with the item), as the
# Hindi certificate says it; anything else is printed as stored.
DELIVERED_HI = (
    (re.compile(r"Owner of site #(\d+), by link of request #(\d+)"),
     "साइट #{0} का स्वामी, अनुरोध #{1} के लिंक से"),
    (re.compile(r"Nigrani recorder, camera (\d+)"), "निगरानी रिकॉर्डर, कैमरा {0}"),
)  # fmt: skip


def _delivered_by(pdf: CertificatePDF, text: str) -> str:
    if pdf.lang_index == 0:
        return text
    for pattern, hindi in DELIVERED_HI:
        if match := pattern.fullmatch(text):
            return hindi.format(*match.groups())
    return text


def _devices(items: Sequence[CertifiedItem]) -> list[Device]:
    """The distinct source devices, in the order the files name them."""
    return list(dict.fromkeys(item.device for item in items if item.device is not None))


def _place(pdf: CertificatePDF, device: Device) -> str:
    category = device.category_hi if pdf.lang_index else device.category_en
    text = ", ".join(p for p in (device.site_name, device.site_address) if p)
    return f"{text} ({category})" if category and text else text or pdf.t("not_stated")


def _device_table(pdf: CertificatePDF, devices: Sequence[Device]) -> None:
    heads = ["no", "device", "make_model", "serial", "ids", "place"]
    missing = pdf.t("not_stated")
    pdf.set_font(pdf.main_font, "", 8.5)
    with pdf.table(
        col_widths=DEVICE_WIDTHS,
        headings_style=HEAD,
        text_align="LEFT",
        line_height=4.4,
        padding=(0.9, 1.5),
    ) as table:
        table.row([pdf.t(key) for key in heads])
        for n, device in enumerate(devices, start=1):
            kind = f"{_kind(pdf, device)} {device.label}".strip()
            make = " ".join(v for v in (device.make, device.model) if v)
            cells = [str(n), kind, make, device.serial, f"MAC {device.mac}" if device.mac else ""]
            table.row([*(c or missing for c in cells), _place(pdf, device)])
    pdf.ln(1)
    _controllers(pdf, devices)
    pdf.paragraph(pdf.t("as_received"), size=8.5, align="L")
    pdf.ln(1)


def _kind(pdf: CertificatePDF, device: Device) -> str:
    return pdf.t(device.kind) if device.kind in KINDS else device.kind


def _controllers(pdf: CertificatePDF, devices: Sequence[Device]) -> None:
    """Who the registry says controls each device, where it says so."""
    lines = []
    for n, device in enumerate(devices, start=1):
        who = device.controller_hi if pdf.lang_index else device.controller_en
        if who := who or device.controller_en:
            lines.append(pdf.t("controlled", n=str(n), who=who))
    if lines:
        pdf.paragraph("\n".join(lines), size=8.5, align="L")


def _source(pdf: CertificatePDF, devices: Sequence[Device], *, blank: bool) -> None:
    """Which kinds of device the records come from, and the device particulars."""
    pdf.paragraph(pdf.t("obtained_from" if blank else "produced_from"))
    # Known: the copies come out of our server; a registered camera is "Other: CCTV camera".
    known = set() if blank else {"server", *(["other"] if devices else [])}
    pdf.tick_boxes([pdf.t(key) for key in SOURCES], [key in known for key in SOURCES])
    other = pdf.t("cctv") if "other" in known else BLANK
    pdf.paragraph(f"{pdf.t('other')}: {other}", align="L")
    if "other" in known:
        _device_table(pdf, devices)
        pdf.paragraph(f"{pdf.t('colour')}: {BLANK}", align="L")
        return
    pdf.paragraph(f"{pdf.t('make_model')}: {BLANK}    {pdf.t('colour')}: {BLANK}", align="L")
    pdf.paragraph(f"{pdf.t('serial')}: {BLANK}", align="L")
    pdf.paragraph(f"{pdf.t('ids')}: {BLANK}", align="L")


def _algorithm(pdf: CertificatePDF, *, ticked: bool) -> None:
    ticks = [ticked and name == "SHA256" for name in ALGORITHMS]
    pdf.tick_boxes([*ALGORITHMS, pdf.t("other")], [*ticks, False])
    pdf.paragraph(f"{pdf.t('other')}: {pdf.t('standard')}", align="L")


def _span(pdf: CertificatePDF, span: Span) -> str:
    if span == (None, None):
        return pdf.t("not_stated")
    return " – ".join(pdf.t("not_stated") if v is None else ist_text(v) for v in span)


def _file(pdf: CertificatePDF, n: int, item: CertifiedItem, devices: list[Device]) -> None:
    """One produced file: name, size, full hash (never cut: it wraps), device and times."""
    if pdf.get_y() + 32 > pdf.page_break_trigger:  # keep a file's lines on one page
        pdf.add_page()
    title = f"{n}. {item.entry} · {item.size_bytes:,} {pdf.t('bytes')} · {item.media_type}"
    pdf.paragraph(title, size=9, bold=True, align="L")
    pdf.set_font(LATIN, "B", 8.5)  # hex digits in the Latin face, whatever the language
    pdf.multi_cell(0, 4.4, f"SHA-256: {item.sha256}", new_x="LMARGIN", new_y="NEXT")
    device = pdf.t("not_stated")
    if item.device is not None:
        device = f"{pdf.t('no')} {devices.index(item.device) + 1}"
        at = item.device_recorded_at
        if at is not None and at - item.received_at > LATER:  # described after it came
            device += f" ({pdf.t('recorded_later', time=ist_text(at))})"
    received = ist_text(item.received_at)
    if item.delivered_by:
        received += f", {pdf.t('delivered')}: {_delivered_by(pdf, item.delivered_by)}"
    lines = [
        (pdf.t("device"), device),
        (pdf.t("claimed"), _span(pdf, item.claimed)),
        (pdf.t("probed"), _span(pdf, item.probed)),
        (pdf.t("received"), received),
    ]
    pdf.paragraph("\n".join(f"{label}: {value}" for label, value in lines), size=8.5, align="L")
    pdf.ln(1)


def _part_a(pdf: CertificatePDF, data: CertificateData) -> None:
    devices = _devices(data.items)
    pdf.paragraph(pdf.t("part_a"), size=11.5, bold=True, align="C")
    pdf.paragraph(pdf.t("affirm"), align="L")
    _source(pdf, devices, blank=False)
    user = data.exported_by or pdf.t("not_stated")
    pdf.paragraph(pdf.t("store", time=ist_text(data.produced_at), user=user))
    pdf.paragraph(pdf.t("lawful"))
    pdf.tick_boxes([pdf.t(key) for key in CONTROL], [False] * len(CONTROL))
    pdf.paragraph(pdf.t("by_me"), align="L")
    pdf.paragraph(pdf.t("hash_a"))
    _algorithm(pdf, ticked=True)
    pdf.paragraph(pdf.t("report_a"), align="L")
    for n, item in enumerate(data.items, start=1):
        _file(pdf, n, item, devices)
    pdf.field(pdf.t("computed"), ist_text(data.produced_at))
    pdf.field(pdf.t("place"), data.case.place_in(pdf.lang) or BLANK)
    pdf.ln(2)
    _signer(pdf, pdf.t("sign_a"))


def _part_b(pdf: CertificatePDF) -> None:
    pdf.paragraph(pdf.t("part_b"), size=11.5, bold=True, align="C")
    pdf.paragraph(pdf.t("affirm"), align="L")
    _source(pdf, [], blank=True)
    pdf.paragraph(pdf.t("more"))
    pdf.paragraph(pdf.t("hash_b"), align="L")
    _algorithm(pdf, ticked=False)
    pdf.paragraph(pdf.t("report_b"), align="L")
    _signer(pdf, pdf.t("sign_b"))


def render(data: CertificateData, *, lang: str) -> bytes:
    """The certificate as PDF bytes in one language ("en" or "hi")."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown certificate language {lang!r}")
    pdf = CertificatePDF(lang=lang, reference=data.case.reference)
    pdf.set_title(f"{pdf.t('title')} — {data.case.reference}")
    pdf.set_creator("Nigrani")
    pdf.add_page()
    _header(pdf, data)
    _part_a(pdf, data)
    pdf.add_page()
    _part_b(pdf)
    return bytes(pdf.output())
