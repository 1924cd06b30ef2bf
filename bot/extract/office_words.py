"""The words that say what a line of an appeal's contact section is, in the languages appeals
are written in: a lead-in, a copy, an embassy, a heading that is no office."""

from __future__ import annotations

import re

# Where a list of offices begins.
LEAD_IN = re.compile(
    r"\b(write|send|sent|direct|address|fax|e-?mail|call|contact|protest|appeal)\w*\b.*\b(to|at)\b"
    r"\s*:?\s*$"
    r"|\bprotests? to\b|\bcop(y|ies) to\b|\bcopie à\b|\bavec copie\b|\bcon copia\b|\bin copia\b"
    r"|\bkopie an\b|\bappell an\b|\bschreiben sie an\b|\bschickt\b.*\ban\b|^an\s*:?$"
    r"|\bescrib\w*\s+a\b|\benv[íi]\w*\s+.*\ba\b\s*:?\s*$|\b[ée]crivez\b|\bscrivete\b|\binviare\b"
    r"|\bescreva\b|\bnapisz\w*\b|\bpiszcie\b|\byaz[ıi]n\b|\bileti[şs]im bilgileri\b"
    r"|^contact\w*\s*:|^kontakt\w*\s*:|пишите|пишіть|пішыце|адрес\w* для (писем|листів)"
    r"|^контакты|^куда писать|please write to|start your letter|following address|take action"
    r"|(contact|poster|faxer|envoy|écri|adress|inviar|scriv|mand|schreib|schick|send|escrib|envi"
    r"|escrev|napis|wysł|gönder|пис|направ|надісл)\w*\b[^:]*:\s*$",
    re.IGNORECASE,
)
# A line that asks the reader to do something: a lead-in, never an office's name.
IMPERATIVE = re.compile(
    r"^(please\s+)?(take action|write|send|contact|e-?mail|fax|call|phone|protest|ask|urge"
    r"|sign|share|donate|освободите|остановите|поддержите|пишите|звоните|требуем|libérez"
    r"|liberad|liberate|uwolnij\w*)\b",
    re.IGNORECASE,
)
# "… copies via the Cuban Embassy in London:": the block under it is reached through it.
VIA = re.compile(r"\bvia\b|\bthrough\b|\bc/o\b|\bcop(y|ies)\b|\bcopie\b|\bkopie\b", re.I)
COPIES_WORD = re.compile(r"\bcop(y|ies)\b|\bcopie\b|\bcopia\b|\bkopie\b|\bкопи", re.IGNORECASE)
EMBASSY = re.compile(
    r"embass|ambassad|botschaft|ambasciat|embaixad|embajad|ambasad|büyükelçi|посольств|consulat"
    r"|konsulat|permanent mission|diplomatic representative",
    re.IGNORECASE,
)
# Lines that head a letter or a section, or close it: never an office.
NOT_A_NAME = re.compile(
    r"^(open letter|lettera aperta|lettre ouverte|offener brief|carta abierta|carta aberta"
    r"|sample letter.*|model letter|proposition de lettre|modelo de carta|musterbrief|list otwarty"
    r"|\[?\(?date\)?\]?|your name|\(?tu podpis\)?|signature|sachlage|hechos|background"
    r"|for communi\w+|protest letter|letter|subject\b.*|soggetto\b.*"
    r"|yours (sincerely|faithfully|truly)"
    r"|sincerely|regards|best wishes|mit freundlichen grü(ß|ss)en|cordialement|atentamente"
    r"|cordiali saluti|с уважением|з повагою|solidarische grü(ß|ss)e)\W*$",
    re.IGNORECASE,
)
# A line about contacts ("These are the phone numbers"), not an office.
CONTACT_KINDS = re.compile(
    r"\b(phone|fax|telephone) numbers?\b|\btelefoonnummers?\b|\bnum[ée]ros? de\b"
    r"|\bnumeri di\b|\btelefonnummern?\b|\bномера? телефон",
    re.IGNORECASE,
)
# "To", "A l'attention de", "An den" before an office's name on an envelope.
ADDRESSED_TO = re.compile(
    r"^(to|al|alla|allo|a l'attention de|à l'attention de|a la atención de|an den|an die|an das"
    r"|an|à|a|do|до|к)\s+(?=\S)",
    re.IGNORECASE,
)
# Abbreviations a name or address line may end with (not the end of a sentence).
ABBREVIATION_END = re.compile(
    r"\b(st|lic|sr|sra|dr|jr|inc|ltd|co|no|ave|blvd|rd|str|ул|пр|д)\.$", re.IGNORECASE
)
# The publisher's own contacts, not an office to write to.
PUBLISHER = re.compile(
    r"\bif you have (any )?questions\b|\bfor more information\b|\bsubscribe\b|\bunsubscribe\b"
    r"|\blet (me|us) know\b|\bdonat",
    re.IGNORECASE,
)
# A sentence that asks to write, send or call.
ADVICE = re.compile(
    r"\b(send|write|copies|copy|call|fax|mail|phone|contact)\w*\b|mandare|inviare|envoy"
    r"|écri|schreib|schick|bellen|escrib|envi|pisz|напиш|пиш|звон|отправ",
    re.IGNORECASE,
)
# "your local embassy", "the Embassy of X in your own country": the reader's own embassy.
YOUR_EMBASSY = re.compile(
    r"\byour (local|own|nearest) embass|\bembass(y|ies)\b.*\bin your\b", re.IGNORECASE
)
# An embassy a sentence names ("…and one to the Belarus Embassy", "all'ambasciata Italiana").
ADVICE_EMBASSY = re.compile(
    r"(?<![@.\w])((?-i:[A-Z][\w.]*\s)?(?:the\s)?(?:diplomatic representatives?|embass(?:y|ies)"
    r"|consulates?|ambasciata|ambassade|botschaft|embajada|embaixada|ambasada)\b"
    # "… of Kazakhstan in your country", "… Italiana al Cairo": whose and where, no more.
    r"(?:\s+(?-i:[A-Z])\w+)?(?:\s+(?:of|in|to|for|de|der|des|del|di|du|al|en|van|at)\b"
    r"[^,.;:!?()]{0,40})?)",
    re.IGNORECASE,
)
# "Contacts of OOO «X»:", "Контакты ООО «…»:" name the office the lines under them reach.
CONTACTS_OF = re.compile(
    r"^(?:contacts?|kontakt\w*|контакты|контакти|contatti|coordonnées|datos de contacto)"
    r"\s+(?:of\s+|des?\s+|di\s+)?(?P<name>[^:]{3,80}):\s*$",
    re.IGNORECASE,
)
# An address inside a sentence: «… на адресу: «Name, 107076, …»», "… to the X: 01024 …".
QUOTED_ADDRESS = re.compile(
    r"(?:адрес\w*|address\w*|adress\w*|adres\w*|direcci\w+|indirizzo)\s*:?\s*[«\"“]"
    r"(?P<quoted>[^»\"”]{10,200})[»\"”]",
    re.IGNORECASE,
)
TO_ADDRESS = re.compile(
    r"\bto (?:the )?(?P<name>[A-Z][^:.]{3,60}):\s*"
    r"(?P<address>[^;]*?\d{4,6}[^;]*?)(?=\.\s+[A-Z]|\.?$)"
)
FAX_WORD = re.compile(r"\bfax\w*|faks|факс|t[ée]l[ée]copie", re.IGNORECASE)
PHONE_WORD = re.compile(r"\b(tel|phone|call|ring|mobile)\w*|тел\w*|звон\w*", re.IGNORECASE)
