"""What the WhatsApp conversation says, in Hindi and English (plain constants, not gettext:
the language is the conversation's, not a web request's)."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "welcome": {
        "hi": "नमस्ते! यह पुलिस शिकायत सेवा है। शिकायत किस बारे में है? नंबर भेजें:",
        "en": "Hello! This is the police complaint service. What is it about? Send a number:",
    },
    "menu_hint": {
        "hi": "(भाषा बदलने के लिए English लिखें, रोकने के लिए रद्द लिखें)",
        "en": "(Write हिंदी for Hindi, or cancel to stop)",
    },
    "bad_choice": {
        "hi": "कृपया सूची में से एक नंबर भेजें।",
        "en": "Please send one of the numbers in the list.",
    },
    "ask_what": {
        "hi": "क्या हुआ? कुछ शब्दों में लिखें, या आवाज़ संदेश भेजें।",
        "en": "What happened? Write it in a few words, or send a voice message.",
    },
    "too_short": {
        "hi": "कृपया थोड़ा और बताएँ (कम से कम 10 अक्षर)।",
        "en": "Please tell us a little more (at least 10 characters).",
    },
    "voice_text": {
        "hi": "आवाज़ संदेश (संलग्न है)",
        "en": "Voice message (attached)",
    },
    "ask_where": {
        "hi": "यह कहाँ हुआ? 📎 से लोकेशन भेजें, या पता लिखें।",
        "en": "Where did it happen? Share a location with 📎, or type the address.",
    },
    "bad_where": {
        "hi": "कृपया लोकेशन भेजें या पता लिखें।",
        "en": "Please share a location or type the address.",
    },
    "ask_photo": {
        "hi": "कोई फ़ोटो है? फ़ोटो भेजें, या 0 लिखें (नहीं है)।",
        "en": "Do you have a photo? Send it, or write 0 (no photo).",
    },
    "bad_photo": {
        "hi": "फ़ोटो भेजें, या 0 लिखें।",
        "en": "Send a photo, or write 0.",
    },
    "confirm": {
        "hi": "आपकी शिकायत:\n{summary}\n\nदर्ज करें? 1 = हाँ, 2 = नहीं",
        "en": "Your complaint:\n{summary}\n\nRegister it? 1 = yes, 2 = no",
    },
    "bad_confirm": {
        "hi": "दर्ज करने के लिए 1, रद्द करने के लिए 2 लिखें।",
        "en": "Write 1 to register, 2 to cancel.",
    },
    "summary": {
        "hi": "विषय: {category}\nक्या हुआ: {text}\nकहाँ: {place}\nफ़ोटो/आवाज़: {media}",
        "en": "About: {category}\nWhat happened: {text}\nWhere: {place}\nPhotos/voice: {media}",
    },
    "registered": {
        "hi": "आपकी शिकायत दर्ज हो गई। शिकायत संख्या: {number}\nस्थिति देखें: {url}\n"
        "स्थिति जानने के लिए यह संख्या यहाँ भेजें।",
        "en": "Your complaint is registered. Number: {number}\nTrack it: {url}\n"
        "Send this number here to hear its status.",
    },
    "failed": {
        "hi": "शिकायत दर्ज नहीं हो सकी: {reason}",
        "en": "The complaint could not be registered: {reason}",
    },
    "cancelled": {
        "hi": "रद्द कर दिया। नई शिकायत के लिए कुछ भी लिखें।",
        "en": "Cancelled. Write anything to start a new complaint.",
    },
    "status": {
        "hi": "शिकायत {number}: {status}",
        "en": "Complaint {number}: {status}",
    },
    "not_found": {
        "hi": "इस नंबर से आपकी कोई शिकायत नहीं मिली।",
        "en": "No complaint of yours has this number.",
    },
    "unsupported": {
        "hi": "यह संदेश पढ़ा नहीं जा सका। कृपया लिखें, फ़ोटो या लोकेशन भेजें।",
        "en": "We cannot read this kind of message. Please write, or send a photo or location.",
    },
}

STATUS_NAMES: dict[str, dict[str, str]] = {
    "received": {"hi": "प्राप्त", "en": "received"},
    "assigned": {"hi": "थाने को सौंपी गई", "en": "assigned to the station"},
    "acknowledged": {"hi": "थाने ने स्वीकार की", "en": "acknowledged by the station"},
    "investigating": {"hi": "जाँच जारी", "en": "under investigation"},
    "action_taken": {"hi": "कार्रवाई की गई", "en": "action taken"},
    "closed": {"hi": "बंद", "en": "closed"},
}

YES = frozenset({"1", "yes", "y", "ok", "haan", "ha", "han", "हाँ", "हां", "हा", "जी"})
NO = frozenset({"2", "no", "n", "nahin", "nahi", "नहीं", "ना"})
SKIP = frozenset({"0", "skip", "no", "nahin", "nahi", "नहीं", "छोड़ें", "ना"})
CANCEL = frozenset({"cancel", "stop", "radd", "रद्द", "रद्द करें"})
TO_ENGLISH = frozenset({"english", "अंग्रेज़ी", "अंग्रेजी"})
TO_HINDI = frozenset({"hindi", "हिंदी", "हिन्दी"})


def say(key: str, language: str, **values: str) -> str:
    """A text in the conversation's language, with its blanks filled."""
    text = TEXTS[key].get(language) or TEXTS[key]["hi"]
    return text.format(**values) if values else text


def status_name(status: str, language: str) -> str:
    """A complaint status in words."""
    names = STATUS_NAMES.get(status, {})
    return names.get(language) or status
