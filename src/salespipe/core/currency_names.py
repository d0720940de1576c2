"""How an amount names its currency: a symbol before or after it (``$``, ``฿``,
``US$``), an ISO code around it (``USD 1,200``, ``100 EUR``), or a name after it
(``250,000 บาท``, ``2,000 baht``). Shared by the import and by ``--value``."""

from __future__ import annotations

import re

from salespipe.core.i18n import _


class CurrencyClash(ValueError):
    """An amount that names two currencies (``€5 USD``); its message says which."""


# "$" is the dollar of many countries: the import reads it as --currency, else USD, and
# says so.
AMBIGUOUS_DOLLAR = "$"
SYMBOLS = {
    "฿": "THB",
    "US$": "USD",
    "$": AMBIGUOUS_DOLLAR,
    "A$": "AUD",
    "C$": "CAD",
    "HK$": "HKD",
    "NZ$": "NZD",
    "R$": "BRL",
    "₽": "RUB",
    "руб.": "RUB",
    "руб": "RUB",
    "zł": "PLN",
    "₺": "TRY",
    "₪": "ILS",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₹": "INR",
    "₩": "KRW",
    "₫": "VND",
    "₱": "PHP",
    "RM": "MYR",
    "S$": "SGD",
}
SYMBOLS_LONGEST_FIRST = sorted(SYMBOLS, key=len, reverse=True)
# A code is a word of its own (or follows a unit: "150kUSD"): the last three letters of
# "1.5 million" are no currency "ION", which left an unknown unit "mill" to be refused.
_CODE_AROUND = re.compile(
    r"^(?:(?P<pre>[A-Za-z]{3})(?![A-Za-z])\s*)?(?P<body>.*?)"
    r"(?:\s*(?:(?<![A-Za-z])|(?<=\d[kKmM]))(?P<post>[A-Za-z]{3}))?$"
)


# Currencies as CRMs name them in English (Dynamics 365 writes "US Dollar").
CURRENCY_NAMES = {
    "us dollar": "USD",
    "us dollars": "USD",
    "u.s. dollar": "USD",
    "united states dollar": "USD",
    "thai baht": "THB",
    "baht": "THB",
    "บาท": "THB",
    "บาทถ้วน": "THB",  # (as a cheque or a quotation writes a whole amount)
    "euro": "EUR",
    "euros": "EUR",
    "british pound": "GBP",
    "pound sterling": "GBP",
    "japanese yen": "JPY",
    "yen": "JPY",
    "singapore dollar": "SGD",
    "malaysian ringgit": "MYR",
    "ringgit": "MYR",
    "indonesian rupiah": "IDR",
    "vietnamese dong": "VND",
    "philippine peso": "PHP",
    "indian rupee": "INR",
    "chinese yuan": "CNY",
    "chinese yuan renminbi": "CNY",
    "yuan renminbi": "CNY",
    "hong kong dollar": "HKD",
    "australian dollar": "AUD",
    "canadian dollar": "CAD",
    "new zealand dollar": "NZD",
    "swiss franc": "CHF",
    "korean won": "KRW",
    "south korean won": "KRW",
    "russian ruble": "RUB",
    "russian rouble": "RUB",
    "brazilian real": "BRL",
    "mexican peso": "MXN",
    "swedish krona": "SEK",
    "norwegian krone": "NOK",
    "danish krone": "DKK",
    "polish zloty": "PLN",
    "czech koruna": "CZK",
    "south african rand": "ZAR",
    "uae dirham": "AED",
    "saudi riyal": "SAR",
}


_NAMES_LONGEST_FIRST = sorted(CURRENCY_NAMES, key=len, reverse=True)


def named_currency(text: str) -> tuple[str, str] | None:
    """``1,500,000 บาท``, ``2,000 baht``, ``1.5 ล้านบาท``: the amount and the currency a
    name after it gives (a Latin name as a word of its own; Thai runs its words on)."""
    folded = text.casefold()
    for name in _NAMES_LONGEST_FIRST:
        if not folded.endswith(name) or len(folded) == len(name):
            continue
        before = folded[-len(name) - 1]
        if name.isascii() and before.isalpha():
            continue
        return text[: -len(name)].strip(), CURRENCY_NAMES[name]
    return None


# ลบ. is ล้านบาท (million baht) in Thai reports and quotations: 1.5 ลบ.
_MILLION_BAHT = re.compile(r"\s*ลบ\.$")


def split_currency(raw: str) -> tuple[str, str | None]:
    text = _MILLION_BAHT.sub("ล้านบาท", raw.strip())
    if text[:1].isdigit() and text[-1:].isdigit():
        return text, None  # a bare number, as most exports write amounts
    named = named_currency(text)
    if named is not None:
        return named
    found: str | None = None
    for symbol in SYMBOLS_LONGEST_FIRST:
        if text.startswith(symbol):
            text, found = text[len(symbol) :].strip(), SYMBOLS[symbol]
            break
        if text.endswith(symbol):
            text, found = text[: -len(symbol)].strip(), SYMBOLS[symbol]
            break
    match = _CODE_AROUND.match(text)
    if match and (match["pre"] or match["post"]):
        code = (match["pre"] or match["post"]).upper()
        dollar = found == AMBIGUOUS_DOLLAR and code.endswith("D")  # "$5 SGD"
        if found and found != code and not dollar:
            raise CurrencyClash(
                _("the amount names two currencies ({first} and {second})").format(
                    first=found, second=code
                )
            )
        return match["body"], code
    return text, found
