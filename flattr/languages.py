"""The languages a thing can be in: Flattr's language ids (``/rest/v2/languages``).

Names come from Django's own catalogue (``LANG_INFO``), so they are translated for free.
"""

from __future__ import annotations

import re

from django.conf.locale import LANG_INFO
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

DEFAULT_LANGUAGE = "en_GB"
# Flattr's ids, language_COUNTRY (Flattr used Java's old codes: iw = Hebrew, in = Indonesian).
FLATTR_LANGUAGES = (
    "sq_AL", "ar_DZ", "be_BY", "bg_BG", "ca_ES", "zh_CN", "hr_HR", "cs_CZ", "da_DK", "nl_NL",
    "en_GB", "et_EE", "fi_FI", "fr_FR", "de_DE", "el_GR", "iw_IL", "hi_IN", "hu_HU", "is_IS",
    "in_ID", "ga_IE", "it_IT", "ja_JP", "ko_KR", "lv_LV", "lt_LT", "mk_MK", "ms_MY", "mt_MT",
    "no_NO", "pl_PL", "pt_PT", "ro_RO", "ru_RU", "sr_RS", "sk_SK", "sl_SI", "es_ES", "sv_SE",
    "th_TH", "tr_TR", "uk_UA", "vi_VN",
)  # fmt: skip
_JAVA_TO_DJANGO = {"iw": "he", "in": "id", "no": "nb", "zh": "zh-hans"}
# Today's codes for the languages Flattr named by Java's old ones (pages send "he", "nb").
_MODERN_TO_FLATTR = {"he": "iw", "id": "in", "nb": "no", "nn": "no"}
_LANGUAGE_ID = re.compile(r"^([A-Za-z]{2,3})(?:[_-]([A-Za-z]{2}))?$")
LANGUAGE_CODE = _LANGUAGE_ID  # the shape of a language code, known to Flattr or not


def language_normalize(raw: str) -> str:
    """Return a Flattr language id for `raw` ("de", "de-DE", "de_de" → "de_DE").

    Raise ValueError for anything that is not a language id. An empty value gives the default.
    """
    raw = (raw or "").strip()
    if not raw:
        return DEFAULT_LANGUAGE
    match = _LANGUAGE_ID.match(raw)
    if not match:
        raise ValueError(_("Unknown language."))
    language, country = match.group(1).lower(), (match.group(2) or "").upper()
    language = _MODERN_TO_FLATTR.get(language, language)
    if country:
        code = f"{language}_{country}"
        if code in FLATTR_LANGUAGES:
            return code
    for code in FLATTR_LANGUAGES:
        if code.split("_")[0] == language:
            return code
    raise ValueError(_("Unknown language."))


# Django's LANG_INFO spells some names unlike its own catalogue's msgids, so they would never be
# translated ("Norwegian Bokmal" vs "Norwegian Bokmål"): name them here, in the catalogue's words.
_NAMES = {"nb": gettext_noop("Norwegian Bokmål")}


def language_name(code: str) -> str:
    """Return the language's name in the active language ("de_DE" → "German" / "Deutsch")."""
    base = _JAVA_TO_DJANGO.get(code.split("_")[0], code.split("_")[0])
    if base in _NAMES:
        return _(_NAMES[base])
    info = LANG_INFO.get(base)
    return _(info["name"]) if info else code


def language_choices() -> list[tuple[str, str]]:
    """Return (id, name) pairs sorted by name, for a select field."""
    return sorted(((code, language_name(code)) for code in FLATTR_LANGUAGES), key=lambda c: c[1])
