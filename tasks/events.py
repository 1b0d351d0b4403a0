"""Clean text -> dated, typed event mentions -> events merged across documents.

In:  clean documents (id, clean text, publication date), the run date, the duplicate clusters and the
     events stored by earlier runs.
Out: `Mention`s (one per event trigger with a date, evidence sentence and offsets) and `Event`s
     (mentions of the same type, compatible date and overlapping actors merged; stored event ids
     reused so re-runs and later reports update an event instead of adding one). Triggers with no
     date, and events below `min_confidence`, are not published.

Dates come from `tasks.dates`, actors from `tasks.entities`, sentences from `tasks.records`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import re._constants as _RC  # the parsed form of a trigger pattern: its required strings
import re._parser as _RP
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from importlib import resources

from tasks.dates import FUTURE_CUES, DateMention, _iso, find_dates
from tasks.entities import (
    PRONOUN_SUBJECT_RE,
    TITLE_WORDS,
    Actor,
    DocContext,
    Gazetteer,
    find_actors,
    learn_document,
    load_dictionary,
    load_gazetteer,
    tag_sentences,
)
from tasks.event_classifier import load_model, sentence_type
from tasks.records import split_sentences
from tasks.schema import EVENT_ONTOLOGY

# --- triggers ----------------------------------------------------------------------------------

# type -> trigger patterns (case-insensitive, whole words). One table for every type of the ontology
# (tasks/schema.py EVENT_ONTOLOGY); the CAMEO verb dictionary (`cameo_verbs`) adds the verbs of the
# PLOVER categories. A launch "of an investigation/attack/product" is not a rocket launch: those
# phrases sit under their own types, and more specific patterns are tried first (LAUNCH_OF).
_W = r"(?:[\w'’-]+\s+)"
# A winner's verb that needs a score ("they crushed 10-man Scunthorpe 5-0"): a result trigger, and its object the loser.
WINNER_VERBS = r"crushed|hammered|thumped|trounced|demolished|whipped|drubbed|walloped|battered|pummell?ed|mauled|blanked|stunned|shocked|upset|humbled|outclassed|outplayed|outlasted|overcame|overcome|dispatched|dumped|eliminated|swept|swept\s+aside|knocked\s+off|saw\s+off|eased\s+past|cruised\s+past|held\s+off|holds\s+off|fended\s+off|rallied\s+past|slipped\s+past|squeezed\s+past|beating|defeating|downing|edging|routing|thrashing"

# A win over a rival in a vote is an election's result, not a match's.
ELECTION_CONTEST_RE = re.compile(r"\b(?:caucus(?:es)?|primar(?:y|ies)|elections?|polls?|ballot|votes?|voters|nomination|referendum|re-election|by-election|runoff|run-off)\b", re.I)
# A club's signing of a player ("have signed Angolan striker X"): a hiring (appointment), no agreement.
PLAYER_SIGNING_RE = re.compile(r"\b[Ss]ign(?:ed|s|ing)\s+(?:(?:the\s+|an?\s+)?(?:[A-Z][\w'’-]*\s+){0,2})?(?:striker|midfielder|defender|goalkeeper|keeper|forward|winger|full-back|centre-back|center-back|playmaker|pitcher|quarterback|catcher|outfielder|linebacker|batsman|bowler|all-rounder)\b")

TRIGGER_PATTERNS: dict[str, tuple[str, ...]] = {
    "consult": (
        r"\bmet\b(?:\s+with)?",
        r"\bmeet(?:s|ing)?\s+with\b",
        r"\bmeets?\b",
        r"\bmeeting\b(?!s)",
        r"\bheld\s+(?:a|an|their)\s+(?:[\w-]+\s+){0,3}(?:call|talks|discussion|meeting|conversation|summit|consultation|dialogue)\b",
        r"\bvideo\s*(?:call|conference)\b",
        r"\b(?:official|state|working)\s+visit\b",
        r"\bvisit(?:ed|ing|s)?\b",
        r"\bhost(?:ed|s)\b",
        r"\bsummit\b",
        r"\btalks\s+(?:with|between|on)\b",
        r"\bheld\s+talks\b",
        r"\bgathering\b",
        r"\bnegotiat(?:ed|ions|ing|ors)\b",
        # CAMEO 045 "engage in mediation"; the PLOVER manual's CONSULT keywords: talks, discussions
        r"\bmediat(?:ion|ed|ing|ors?)\b",
        r"\b(?:held|hold|holding|began|begin|resumed|opened)\s+(?:[\w-]+\s+){0,2}(?:talks|discussions|negotiations)\b",
        r"\b(?:spoke|talked)\s+(?:by\s+(?:tele)?phone\s+)?(?:with|to)\b",
        r"\bphone\s+call\b",
    ),
    "agree": (
        r"\bsign(?:ed|ing|s)\b",
        r"\bagreement\b",
        r"\bmemorandum\b",
        r"\bMoU\b",
        r"\b(?:joint\s+)?declaration\b",
        r"\baccord\b",
        r"\btreaty\b",
        r"\bceasefire\b|\bcease-fire\b|\btruce\b",
        r"\bagree(?:d|s)?\b",
        r"\bsign\b",
        r"\bintention\s+to\s+(?:cooperate|collaborate)\b",
        r"\bletter\s+of\s+intent\b",
        r"\b(?:pledged|promised|vowed|offered)\s+(?:to|that)\b",
    ),
    "support": (
        # past and present tense: a headline tells its news in the present ("Kerry endorses Obama")
        r"\b(?:prais(?:ed|es)|endors(?:ed|es)|hail(?:ed|s)|welcom(?:ed|es)|applaud(?:ed|s)|commend(?:ed|s))\b",
        r"\bapologi[sz](?:ed|es)\b",
        r"\b(?:recogni[sz](?:ed|es)|express(?:ed|es)\s+support\s+for|backed)\b",
        r"(?<!\bthe\s)(?<!running\s)(?<!-)\bbacks\b(?!\s+(?:down|off|away|out|up)\b)",  # not "the backs", "running backs", "full-backs"
        # PLOVER's SUPPORT: "approve policy, action, or actor" ("The FCC has approved new rules"; not "OKs": a two-letter key would send most sentences to the pattern)
        # (active only: a passive "was approved on Saturday by 143 lawmakers" is often a rule's background, and would
        # lend its day to a lede's praise of the same type, `_redate_lede`)
        r"(?<!\bwas\s)(?<!\bwere\s)(?<!\bbeen\s)(?<!\bbe\s)(?<!\bis\s)(?<!\bare\s)\b(?:approv(?:ed|es)|okayed)\b(?!\s+(?:providers?|suppliers?|vendors?|list)\b)",
        r"\bg(?:ave|ives)\s+(?:the\s+|its\s+|their\s+)?(?:green\s+light|go-ahead)\b",
        # a tribute is praise: "paid rich tributes to mountaineering legend Sir Edmund Hillary"
        r"\bpa(?:id|ys|ying)\s+(?:[\w-]+\s+)?(?:tributes?|homage)\s+to\b",
    ),
    "cooperate": (r"\bcooperat(?:ed|ing)\s+with\b", r"\bjoint\s+(?:military\s+)?(?:exercises?|drills?|patrols?)\b", r"\bwar\s+games\b|\b(?:joint\s+|naval\s+)?(?:manoeuvres|maneuvers)\b", r"\bextradit(?:ed|ion)\b", r"\bshared\s+intelligence\b"),
    "aid": (
        r"\b(?:sent|send(?:s|ing)?|provided|provid(?:e|es|ing)|supplied|suppl(?:y|ies|ying)|delivered|pledged|donated|gave)\s+" + _W + r"{0,4}(?:aid|assistance|relief|supplies|funds|loans?|vaccines|weapons|arms|(?:military\s+)?equipment|material|medicines?|food)\b",
        # the PLOVER manual: "hostage rescues ... should be coded as AID"
        r"\b(?:rescued|freed)\s+" + _W + r"{0,3}(?:hostages|victims|captives)\b",
        r"\bevacuat(?:ed|ing)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}(?:wounded|injured|civilians|refugees|residents|survivors)\b",
        r"\bhumanitarian\s+aid\b",
        r"\bgranted\s+asylum\b",
        r"\bdonat(?:ed|ion)\b",
    ),
    # a coercive measure as the object of an easing verb is the concession, not the measure
    # ("lifted a night curfew", "shortened by one hour the nightly curfew"); an eased blockade is a
    # military de-escalation (CAMEO 0872: RETREAT)
    "concede": (
        r"\b(?:lift(?:ed|s|ing)?|eas(?:ed|es|ing)|relax(?:ed|es|ing)|shorten(?:ed|s|ing)|cancel(?:l?ed|s)|revok(?:ed|es)|rescind(?:ed|s)|scrap(?:ped|s)|repeal(?:ed|s))\s+" + _W + r"{0,5}?(?:bans?|sanctions|state\s+of\s+emergency|emergency(?:\s+(?:measures|rule|laws?|decree))?|martial\s+law|curfews?|restrictions|embargo|censorship|rules)\b",
        r"\b(?:accept(?:ed|s)?|met|bow(?:ed|s)?\s+to|g[ai]ve\s+in\s+to|yield(?:ed|s)?\s+to|acced(?:ed|es)\s+to|conced(?:ed|es)\s+to)\s+" + _W + r"{0,3}?demands\b",
        r"\bcall(?:ed|s)\s+off\s+" + _W + r"{0,3}?(?:strike|protests?|boycott|march|demonstrations?|sit-in)\b",
        r"\bconceded\b",
        r"\bbacked\s+down\b",
    ),
    "retreat": (
        r"\b(?:lift(?:ed|s|ing)?|eas(?:ed|es|ing))\s+" + _W + r"{0,3}?blockade\b",
        r"\bwithdr(?:ew|awn|awal|aws|awing|aw)\b",
        r"\bpull(?:ed|s)?\s+(?:out|back)\b|\bpull-?out\b",
        r"\b(?:releas(?:e|ed|es|ing)|fre(?:e|ed|es|eing))\s+" + _W + r"{0,3}(?:hostages?|prisoners?|detainees|captives)\b",
        r"\bretreated\b",
        r"\b(?:demobili[sz](?:ed|ation)|disarm(?:ed|ament))\b",
        r"\b(?:declared|announced|called)\s+(?:a\s+|an\s+)?(?:unilateral\s+|immediate\s+)?(?:ceasefire|cease-fire|truce)\b",
    ),
    "request": (r"\bcall(?:ed|s)\s+(?:on|for|upon)\b", r"\burg(?:ed|es)\b", r"\bdemand(?:ed|s)\b", r"\bappeal(?:ed|s)\s+(?:to|for)\b", r"\basked\b", r"\brequest(?:ed|s)\b", r"\bsought\b"),
    "accuse": (
        r"\baccus(?:ed|es|ing)\b",
        r"\bcriticis(?:ed|es)\b|\bcriticiz(?:ed|es)\b",
        r"\bcondemn(?:ed|s)\b",
        r"\bdenounc(?:ed|es)\b",
        r"\bblam(?:ed|es)\b",
        r"\binvestigat(?:ed|ing|ions?|e)\b",
        r"\b(?:probe|inquiry|investigation)\s+(?:into|of)\b",
        r"(?<!grand\s)\b(?:slam(?:s|med)?|flay(?:s|ed)?|lambast(?:s|ed)?|(?:lash|hit)(?:es|s|ed)?\s+out\s+at)\b(?!\s+dunk)",
        r"\b(?:sued|lawsuit)\b",
        r"\bcomplain(?:ed|s)\b",
    ),
    "reject": (r"\breject(?:ed|s|ing)?\b", r"\brefus(?:ed|es|ing)\b",
               r"\b(?:dismiss(?:ed|es)|rebuff(?:ed|s)|spurn(?:ed|s)|shrugg?(?:ed|s)\s+off)\s+(?:an?\s+|the\s+|their\s+|his\s+|her\s+|its\s+)?(?:[\w'’-]+\s+){0,3}?(?:appeals?|calls?|requests?|demands?|offers?|proposals?|plans?|bids?|ultimatum|overtures?|initiative)\b",
               r"\b(?:barred|bars|den(?:ied|ies|y)|refused)\s+(?:[\w'’-]+\s+){0,4}?(?:entry|admission|admittance|access|visas?)\b", r"\bden(?:ied|ies)\b", r"\bveto(?:ed)?\b", r"\bturned\s+down\b", r"\bdefied\b", r"\bbrushed\s+aside\b",
               r"\b(?:violat(?:ed|es|ing)|flout(?:ed|s|ing)|def(?:y|ies|ying))\s+(?:a\s+|an\s+|the\s+)?(?:[\w-]+\s+){0,3}(?:ban|law|order|curfew|rules?|embargo|decree)\b"),
    "threaten": (r"\bthreat(?:ened|ens)\b", r"\bwarn(?:ed|s)\b", r"\bultimatum\b"),
    "protest": (
        r"\bprotest(?:ed|s|ers|ors)?\b",
        r"\bdemonstrat(?:ed|ion|ions|ors)\b",
        r"\brall(?:y|ies|ied)\b",
        r"\bmarch(?:ed)?\s+(?:through|on|to|in|against)\b",
        r"\b(?:went|go|going)\s+on\s+(?:a\s+)?(?:hunger\s+)?strike\b",
        r"\bboycott(?:ed|s)?\b",
        r"\bsit-in\b",
        r"\bblock(?:ed|s|ing|aded)?\s+(?:the\s+|a\s+)?(?:[\w-]+\s+)?(?:roads?|highways?|traffic|transport|streets?|bridges?|railways?|rail\s+lines?|entrances?|ports?)\b",
        r"\briot(?:ed|ing|s)?\b(?!\s+(?:police|squad|gear|shields?|troops|control))",
        r"\b(?:to|in)\s+protest\b",
        r"\b(?:hunger|general)\s+strike\b|\bon\s+strike\b|\bstrikers\b",
    ),
    "mobilize": (
        r"\bdeploy(?:ed|s|ment)\b",
        r"\bmobili[sz](?:ed|es|ation)\b",
        r"\bmilitary\s+(?:exercises?|drills?)\b",
        r"\b(?:put|placed|remained|remain|kept|were|was|are|is)\s+" + _W + r"{0,2}on\s+(?:high\s+|full\s+|maximum\s+|red\s+)?alert\b",
        r"\bmassed\b",
        r"\b(?:strengthened|reinforced|bolstered|beefed\s+up|built\s+up)\s+(?:its\s+|their\s+|the\s+)?(?:military\s+)?(?:forces|troops|presence|garrisons?|positions)\b",
        r"\b(?:ordered|stepped\s+up|increased|intensified)\s+" + _W + r"{0,2}patrols\b",
        r"\b(?:sent|send(?:s|ing)?|dispatch(?:ed|es|ing)?|rushed|moved)\s+(?:[\w'’,.-]+\s+){0,3}(?:troops|soldiers|marines|paratroopers|warships|tanks|reinforcements|police\s+reinforcements)\b",
    ),
    "sanction": (
        # stopping aid, relations or talks is a sanction (CAMEO 16: reduce relations, halt
        # negotiations or mediation, cancel a visit); "called off a strike" is a concession above
        r"\b(?:suspend(?:ed|s|ing)?|halt(?:ed|s|ing)?|cut(?:s|ting)?|stopp?(?:ed|s|ing)?|froze|freez(?:es|ing)|reduc(?:ed|es|ing)|end(?:ed|s|ing)?|cancell?(?:ed|s)?|called\s+off|broke\s+off)\s+" + _W + r"{0,3}?(?:aid|assistance|supplies|deliveries|talks|negotiations|mediation|relations|ties|links|cooperation|contacts|funding|loans|visit|trip)\b",
        r"\bsanctions?\b",
        r"\bexpell?(?:ed|s)\b",
        r"\b(?:cut|severed|broke\s+off)\s+(?:diplomatic\s+)?(?:ties|relations)\b",
        r"\bembargo\b",
        r"\brecalled\s+" + _W + r"{0,2}ambassador\b",
        r"\bsuspend(?:ed|s)\b",
        r"\b(?:suspension|severing|severance|freezing|freeze|halt|cut(?:off)?|cuts|reduction)\s+(?:of|in)\s+" + _W + r"{0,3}?(?:aid|assistance|links|relations|ties|talks|negotiations|mediation|cooperation|contacts|flights|trade)\b",
        r"\bban(?:ned|s)?\b",
    ),
    "coerce": (r"\bdeport(?:ed|s|ation)\b", r"\bseiz(?:ed|es)\b", r"\bconfiscat(?:ed|es)\b", r"\braid(?:ed|s)?\b", r"\bcurfew\b", r"\bcensor(?:ed|ship)\b", r"\bcrack(?:ed)?\s+down\b|\bcrackdown\b", r"\bexecut(?:ed|ion)\b", r"\bkidnap(?:ped|ping)?\b|\babduct(?:ed|ion)\b"),
    "assault": (
        r"\battack(?:ed|s)?\b",
        r"\bkill(?:ed|ing|s)\b",
        r"\bbomb(?:ed|ing|ings)?\b",
        r"\bshot\s+(?:dead|and\s+killed)\b|\bshooting\b|\bgunmen\b|\bopened\s+fire\b|\bfired\s+(?:on|at|upon)\b",
        r"\bshell(?:ed|ing)\b",
        r"\bair\s*strikes?\b|\bairstrikes?\b|\bmissile\s+strikes?\b|\bdrone\s+strikes?\b",
        r"\bclash(?:ed|es)\b",
        r"\bfighting\b|\bfought\b",
        r"\binvad(?:ed|es)\b|\binvasion\b",
        r"\bstabb(?:ed|ing)\b",
        r"\bmassacre\b",
        r"\bambush(?:ed)?\b",
        r"\bassault(?:ed)?\b",
        r"\bbeat(?:en|ing|s)?\s+(?:up|to\s+death)\b",
    ),
    "statement": (r"\bannounced\b", r"\bpress\s+release\b", r"\bstatement\b", r"\bdeclared\b"),
    "accident": (r"\bcrash(?:ed|es)?\b(?!\s+out\b)", r"\bcollision\b|\bcollided\b", r"\bderail(?:ed|ment)\b", r"\bemergency\s+landing\b", r"\bcapsi[sz]ed\b", r"\boverturned\b", r"\baccident\b", r"\bfire\s+(?:broke\s+out|swept|gutted)\b|\bblaze\b", r"\bexplosion\b",
                 r"\b(?:died|killed|dead|perished|trapped)\s+in\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}fire\b", r"\b(?:house|home|apartment|flat|building|hotel|factory|warehouse)\s+fire\b",
                 r"\b(?:struck|hit|run\s+over|mown\s+down)\s+by\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}(?:train|car|truck|vehicle|bus|lorry|van|tram)\b",
                 r"\binto\s+the\s+path\s+of\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}(?:train|car|truck|vehicle|bus|lorry|van|tram)\b"),
    "disaster": (r"\bearthquake\b|\bquake\b", r"\bflood(?:s|ing|ed)?\b", r"\bhurricane\b|\btyphoon\b|\bcyclone\b|\btornado(?:es)?\b", r"\bwildfires?\b|\bbushfires?\b", r"\blandslides?\b|\bmudslides?\b", r"\btsunami\b", r"\bdrought\b", r"\berupt(?:ed|ion)\b", r"\boutbreak\b", r"\bstorm\b",
                 r"\b(?:struck|hit|laid)\s+(?:down\s+)?(?:by|with)\s+(?:a\s+|an\s+|the\s+)?(?:[\w-]+\s+){0,3}(?:bug|virus|norovirus|disease|illness|infection|epidemic|flu|influenza|cholera|measles|salmonella)\b"),
    # a death not caused by an attack, accident or disaster (those triggers take the sentence): natural
    # causes, a body found
    "death": (
        r"\b(?:died|dies|passed\s+away|passes\s+away)\b",
        r"\bfound\s+dead\b",
        r"\b(?:recover(?:ed|s)?|found|finds|discovered|pulled)\s+(?:the\s+)?bod(?:y|ies)\b",
        # "with the sad passing of Phil O'Donnell": a bill's passing is no death, so an adjective of grief is needed
        r"\b(?:sad|sudden|untimely|tragic|peaceful)\s+passing\s+of\b",
    ),
    "crime": (r"\brobb(?:ed|ery)\b", r"\bstole(?:n)?\b|\btheft\b", r"\bfraud\b", r"\bmurder(?:ed)?\b", r"\bburglar(?:y|ies)\b", r"\bembezzl(?:ed|ement)\b", r"\bsmuggl(?:ed|ing)\b", r"\bhack(?:ed)\b"),
    "arrest": (r"\barrest(?:ed|s)?\b", r"\bdetain(?:ed|s)\b", r"\btaken\s+into\s+custody\b", r"\bcharged\s+with\b", r"\bcharged\s+(?:an?\s+|the\s+|him\s+|her\s+|them\s+)(?:[\w'’-]+\s+){0,3}?with\b"),
    "trial": (r"\btrial\b", r"\bappear(?:ed|s|ing)?\s+(?:in|before)\s+(?:a\s+|the\s+)?(?:[\w-]+\s+)?court\b", r"\bconvicted\b", r"\bsentenced\b", r"\bacquitted\b", r"\bpleaded\s+(?:not\s+)?guilty\b", r"\bfound\s+(?:not\s+)?guilty\b", r"\bindicted\b", r"\bcourt\s+(?:ruled|ordered|rejected)\b", r"\bjury\b",
              r"\b(?:custody|bail|sentencing|extradition|court)\s+hearing\b", r"\b(?:showed|turned)\s+up\s+(?:at|in)\s+(?:a\s+|the\s+)?(?:[\w-]+\s+)?court\b"),
    "election": (r"\belections?\b", r"\b(?:re-)?elected\b", r"\breferendum\b", r"\bvot(?:ed|ers|ing)\b", r"\bballot\b", r"\bprimary\b|\bprimaries\b", r"\bpolls?\s+(?:closed|opened)\b"),
    "appointment": (
        r"\btook\s+(?:up\s+)?(?:the\s+|his\s+|her\s+)?(?:post|office|helm|role|position)\b",
        r"\bentered\s+(?:the\s+)?(?:post|office)\b",
        r"\bappoint(?:ed|s|ment)\b",
        r"\bnamed\s+(?:as\s+)?(?:the\s+)?(?:new\s+)?(?:[\w-]+\s+){0,2}(?:director|head|chief|president|administrator|leader|chairman|ceo|coach|manager|minister|secretary|captain)\b",
        r"\b(?:became|becomes)\s+(?:the\s+)?(?:new\s+)?(?:director|head|chief|president|administrator|ceo|coach|manager)\b",
        r"\bsworn\s+in\b",
        r"\bassumed\s+(?:the\s+)?(?:post|office|role)\b",
        r"\btakes?\s+office\b",
        r"\bnominat(?:ed|ion)\b",
        r"\bhired\b",
        # a club's signing of a player is a hiring, not an agreement between the two: "have signed Angolan striker X"
        r"\b(?:back\s+at|returns?\s+to|returned\s+to)\s+(?:the\s+)?helm\b",
        # a casting is a hiring: "producer X has roped in Y and Z to star in his next film", "Y was cast as ..."
        r"\broped\s+in\b",
        r"\b(?:was|were|(?:has|have)\s+been|is|are)\s+cast\s+(?:as|in)\b",
    ),
    "resignation": (r"\bresign(?:ed|s|ation)\b", r"\bstep(?:ped|s)\s+down\b", r"\bquit\b", r"\b(?:leaves?|left)\s+(?:the\s+|his\s+|her\s+)?(?:club|post|office|job|company|team|role|government|cabinet|board)\b", r"\b(?:was|were|been|being|be|is|got)\s+(?:fired|dismissed)\b|\b(?:sacked|ousted)\b", r"\bretire(?:d|s)\b"),
    "launch": (r"\blaunch(?:ed|es|ing)?\b", r"\blift(?:ed|s)?\s*off\b", r"\bblast(?:ed|s)?\s+off\b"),
    "product_release": (r"\bunveil(?:ed|s|ing)?\b",
                        # a release named by what it is: "Microsoft releases Vista SP1 beta", "released a software update"
                        r"\breleas(?:ed|es|ing)\s+(?:a\s+|an\s+|the\s+|its\s+|their\s+)?(?:[\w.'’-]+\s+){0,4}?(?:beta|update|upgrade|patch|service\s+pack|SP\d|album|single|trailer)\b", r"\brolled\s+out\b|\broll(?:s|ing)?\s+out\b", r"\bwent\s+on\s+sale\b|\bgoes\s+on\s+sale\b", r"\breleas(?:ed|es)\s+(?:a|an|its|the|their)\s+(?:new|latest)\b", r"\bintroduc(?:ed|es)\s+(?:a|an|its|the|their|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|several|a\s+range\s+of))\s+(?:[\w-]+\s+)?new\b"),
    "mission_milestone": (
        r"\blanded\b",
        r"\b(?:soft[- ])?landing\b",
        r"\btouch(?:ed)?\s+down\b",
        r"\bdelivered\b",
        r"\breturned\b",
        r"\bdocked\b",
        r"\barrived\b",
        r"\bentered\s+(?:lunar\s+|Mars\s+|martian\s+)?orbit\b",
        r"\borbit(?:al)?\s+insertion\b",
        r"\bsplash(?:ed)?\s*down\b",
    ),
    "business_deal": (r"\bacquir(?:ed|es|e)\b|\bacquisition\b", r"\bmerger\b|\bmerg(?:ed|e)\s+with\b", r"\btakeover\b", r"\b(?:bought|buys|sold|sells)\s+" + _W + r"{0,4}(?:stake|company|business|unit|division|firm|shares)\b", r"\bdeal\s+(?:worth|valued)\b", r"\b(?:licensing|distribution|sponsorship|supply|content|streaming|rental|movie|broadcast(?:ing)?)\s+deal\b", r"\b(?:IPO|initial\s+public\s+offering)\b", r"\binvest(?:ed|s)\s+\$?[\d.]+", r"\bcontract\s+(?:worth|with|to)\b",
                      # a player's contract: "close to new deal", "a three-year contract extension"
                      r"\b(?:new|fresh|improved|extended|long-term|multi-year|lucrative|(?:one|two|three|four|five|six|\d{1,2}(?:\.\d)?)-year)\s+(?:contract|deal)\b",
                      r"\bcontract\s+extension\b"),
    "business_results": (r"\b(?:net\s+)?(?:profits?|losses|loss|revenues?|earnings|sales)\s+(?:rose|fell|jumped|dropped|grew|declined|increased|decreased|climbed|slumped|surged|of)\b", r"\breport(?:ed|s)\s+(?:a\s+)?(?:quarterly\s+)?(?:net\s+)?(?:profit|loss|revenue|earnings|sales|results)\b", r"\bshares\s+(?:rose|fell|jumped|dropped|plunged|surged|slid|tumbled|climbed|gained)\b", r"\bquarterly\s+(?:results|earnings|profit)\b",
                         r"\b(?:cut(?:s|ting)?|slash(?:es|ed|ing)?|eliminat(?:e|es|ed|ing)|shed(?:s|ding)?|ax(?:e|es|ed|ing)|lay(?:s|ing)?\s+off|laid\s+off)\s+(?:up\s+to\s+|about\s+|some\s+|nearly\s+|almost\s+|more\s+than\s+|around\s+)?[\d,.]+(?:\s+(?:million|thousand))?\s+(?:jobs|workers|employees|staff|positions)\b",
                         r"\bjob\s+cuts\b|\blayoffs\b"),
    "sport_result": (
        r"\b(?:beat|defeated|thrashed|edged|routed)\b",
        r"\bwon\s+(?:the\s+|a\s+|their\s+|his\s+|her\s+|its\s+)?(?:[\w-]+\s+){0,3}(?:match|game|final|title|championship|cup|race|gold|medal|tournament|open|series|grand\s+prix|stage)\b",
        r"\bdrew\s+(?:\d|with)\b",
        r"\b(?:victory|win|winner)\s+over\b",
        r"\blost\s+(?:to|\d)\b|\blos(?:e|es|ing)\s+(?:\d{1,3}-\d{1,3}\s+)?to\b",
        r"\b\d{1,3}-\d{1,3}\s+(?:[\w-]+\s+){0,2}(?:win|victory|defeat|loss|draw)\b",
        r"\bbeaten\s+by\b|\btriumphed\b",
        r"\b(?:crash(?:ed|es)?|knocked|bow(?:ed|s))\s+out\s+(?:of|in|to)\b",
        # "lead the Houston Rockets over the New York Knicks, 101-92": a team's name then the score
        r"\b(?:over|past|downed|topped|double\s+up)\s+(?:the\s+)?(?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*,?\s+\d{1,3}-\d{1,3}\b",

        # the score before the opponent: "a rare victory in Vancouver, 4-3 over the Canucks"; a score won by: "to win 72-51"
        r"\b\d{1,3}-\d{1,3}\s+(?:over|past)\s+(?:the\s+)?(?-i:(?:[A-Z][\w.'’-]*\s+){0,3}[A-Z][\w.'’-]*)",
        r"\b(?:won|wins|win)\s+\d{1,3}-\d{1,3}\b",
        # a winner's verb that needs a score: "they crushed 10-man Scunthorpe 5-0", "hammered Arsenal 4-0"
        r"\b(?:" + WINNER_VERBS + r")\s+(?:the\s+)?(?:[\w.'’-]+\s+){0,4}?(?-i:[A-Z])[\w.'’-]*,?\s+\d{1,3}-\d{1,3}\b",
        # a golf round: "for a 5-under 65 and a two-shot lead", "shot a 68 to lead", "carded a 3-under-par 69"
        r"\bfor\s+an?\s+\d{1,2}-(?:under|over)(?:-par)?\s+\d{2}\b",
        # (no article before a round told "six-under 66": "Justin Leonard shoots six-under 66 in Saturday play")
        r"\b(?:shot|shoots|carded|cards|fired|fires|posted|posts)\s+(?:(?:a|an)\s+(?:(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)-(?:under|over)(?:-par)?\s+)?|(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)-(?:under|over)(?:-par)?\s+)(?:6\d|7\d)\b(?=\s+(?:on|to|for|in|and|at|Thursday|Friday|Saturday|Sunday|Monday|Tuesday|Wednesday)\b|[,.;])",
    ),
}
# What a "launch" of something else is (tried before the launch patterns of rockets and missions).
LAUNCH_OF: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (t, re.compile(r"\blaunch(?:ed|es|ing)?\s+(?:a\s+|an\s+|the\s+|its\s+|their\s+)?(?:new\s+|fresh\s+|formal\s+|major\s+)?" + rx + r"\b", re.I))
    for t, rx in (
        ("accuse", r"(?:investigation|probe|inquiry|review|lawsuit|legal\s+challenge)"),
        ("assault", r"(?:attacks?|offensive|strikes?|airstrikes?|raids?|assault|invasion|missiles?|rockets?\s+at)"),
        ("product_release", r"(?:[\w-]+\s+){0,2}(?:product|app|service|phone|smartphone|version|model|car|brand|platform|console|device|range|store|website|tool|feature|chip|line)s?"),
        ("protest", r"(?:campaign|petition|boycott|strike)"),
    )
)


def _top_level_alternatives(rx: str) -> list[str]:
    out, depth, cur, i = [], 0, "", 0
    while i < len(rx):
        c = rx[i]
        if c == "\\":
            cur += rx[i : i + 2]
            i += 2
            continue
        depth += c == "("
        depth -= c == ")"
        if c == "|" and depth == 0:
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    return [*out, cur]


_EXACT_MAX = 64  # strings kept in the exact set of a part of a pattern (beyond it the set is given up)


def _literal_info(items: Iterable) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
    """Of a parsed pattern (a sequence of `re._parser` items): the exact strings it matches (lower
    case; None when unknown or too many) and sets of strings one of which every match contains."""
    req: list[frozenset[str]] = []
    run: set[str] = {""}  # the exact strings of the items since the last unknown one
    whole = True
    for op, av in items:
        exact, inner = _item_info(op, av)
        req.extend(inner)
        if exact is not None and len(run) * len(exact) <= _EXACT_MAX:
            run = {x + y for x in run for y in exact}
            continue
        whole = False
        if "" not in run:
            req.append(frozenset(run))
        run = set(exact) if exact is not None else {""}
    if whole:
        return frozenset(run), req
    if "" not in run:
        req.append(frozenset(run))
    return None, req


def _strength(strings: frozenset[str]) -> tuple[int, int]:
    return (min(map(len, strings)), -len(strings))


def _item_info(op: object, av: object) -> tuple[frozenset[str] | None, list[frozenset[str]]]:
    """`_literal_info` of one parsed item."""
    if op is _RC.LITERAL:
        c = chr(av)
        return (frozenset({c.lower()}), []) if c.isascii() else (None, [])
    if op is _RC.IN:  # a small class of letters: "capsi[sz]ed" is "capsised" or "capsized"
        chars = [chr(v) for o, v in av if o is _RC.LITERAL]
        ok = len(chars) == len(av) <= 4 and all(c.isascii() for c in chars)
        return (frozenset(c.lower() for c in chars), []) if ok else (None, [])
    if op in (_RC.AT, _RC.ASSERT, _RC.ASSERT_NOT):
        return frozenset({""}), []  # \b and lookarounds consume no character
    if op is _RC.SUBPATTERN:
        return _literal_info(av[3])
    if op is _RC.BRANCH:
        infos = [_literal_info(alt) for alt in av[1]]
        exact = frozenset().union(*(x for x, _ in infos)) if all(x is not None for x, _ in infos) else None
        picks = []
        for x, inner in infos:  # one required set of each alternative: their union is required
            cands = ([x] if x is not None and "" not in x else []) + inner
            if not cands:
                return exact, []
            picks.append(max(cands, key=_strength))
        return (exact if exact is None or len(exact) <= _EXACT_MAX else None), [frozenset().union(*picks)]
    if op in (_RC.MAX_REPEAT, _RC.MIN_REPEAT):
        lo, hi, sub = av
        exact, inner = _literal_info(sub)
        if lo == 0:
            return (exact | {""} if exact is not None and hi == 1 else None), []
        if lo == hi == 1:
            return exact, inner
        return None, inner + ([exact] if exact is not None and "" not in exact else [])
    return None, []  # any character, a category, a large class...


def _required(rx: str) -> tuple[frozenset[str], ...]:
    """Sets of lower-case strings, the strongest first (longest shortest string): every match of
    `rx` (case-insensitive) contains a string of each set. From the parsed pattern, so exact
    whatever its shape ("(?<!grand\\s)\\b(?:slam|flay...)", "g[ai]ve\\s+in\\s+to", "(?:was|is)\\s+fired")."""
    exact, req = _literal_info(_RP.parse(rx, re.I))
    sets = [*req, *([exact] if exact is not None and "" not in exact else [])]
    # a text holding "slams" holds "slam": only the strings that hold no other member are tested
    minimal = {frozenset(x for x in s if not any(y != x and y in x for y in s)) for s in sets}
    # a set implied by another ("ed"/"ion" by "extradited"/"extradition") is never tested
    kept = [a for a in minimal if not any(b != a and all(any(x in y for x in a) for y in b) for b in minimal)]
    return tuple(sorted(kept, key=lambda s: (_strength(s), sorted(s)), reverse=True))


@functools.cache
def _compiled(rx: str) -> re.Pattern[str]:
    # compiled on first use: a run compiles the patterns its sentences' anchors call for, not all 273
    # at import (the module's import: 0.20 -> 0.14 s CPU); `_required` has already parsed every one.
    # a pattern starting with a number ("4-2 win") fails fast where no digit stands
    return re.compile("(?=\\d)" + rx if rx.startswith("\\b\\d") else rx, re.I)


# Every pattern of every type with its required strings (`_required`), in table order (the order
# decides at equal starts). A per-sentence substring test skips the patterns that cannot match: one
# alternation over all of them cost ~30 ms a sentence (re tries every alternative at every position).
# The strongest set is the pattern's anchors (found through `_ANCHOR_INDEX`), the others its tails,
# tested when the anchors are there: ~1 pattern of 270 runs a sentence (5 with leading anchors alone).
_REQUIRED: list[tuple[frozenset[str], ...]] = [
    _required(alt) for rxs in TRIGGER_PATTERNS.values() for rx in rxs for alt in _top_level_alternatives(rx)
]
_ANCHORED: list[tuple[tuple[str, ...], str, str]] = [
    (tuple(sorted(req[0])) if req else (), t, alt)
    for req, (t, alt) in zip(
        _REQUIRED, [(t, alt) for t, rxs in TRIGGER_PATTERNS.items() for rx in rxs for alt in _top_level_alternatives(rx)], strict=True
    )
]
_TAILS: list[tuple[tuple[str, ...], ...]] = [tuple(tuple(sorted(x)) for x in req[1:]) for req in _REQUIRED]


def _anchor_index() -> tuple[dict[str, list[tuple[str, tuple[int, ...]]]], tuple[int, ...]]:
    """Anchors by their first three letters (two-letter anchors by themselves) -> (anchor, orders
    of the patterns it lets run), and the patterns with no anchor (always run)."""
    by_anchor: dict[str, list[int]] = defaultdict(list)
    for order, (anchors, _t, _rx) in enumerate(_ANCHORED):
        for a in dict.fromkeys(anchors):
            by_anchor[a].append(order)
    index: dict[str, list[tuple[str, tuple[int, ...]]]] = defaultdict(list)
    for a, orders in by_anchor.items():
        index[a[:3]].append((a, tuple(orders)))
    return dict(index), tuple(order for order, (anchors, _t, _rx) in enumerate(_ANCHORED) if not anchors)


def _keys_re(keys: Iterable[str]) -> re.Pattern[str]:
    """Finds every one of `keys` (three letters each) in a text, overlapping ones too: a lookahead
    at each position, the keys grouped by their first letter (a trie of depth one for re)."""
    by_first: dict[str, list[str]] = defaultdict(list)
    for k in sorted(keys):
        by_first[k[0]].append(re.escape(k[1:]))
    return re.compile("(?=(" + "|".join(re.escape(c) + "(?:" + "|".join(rest) + ")" for c, rest in by_first.items()) + "))")


# The three-letter beginnings of anchors found in one regex pass over the sentence, then a substring
# test confirms each candidate anchor: instead of a substring test per pattern (or per anchor).
_ANCHOR_INDEX, _UNANCHORED = _anchor_index()
_ANCHOR_KEYS_RE = _keys_re(k for k in _ANCHOR_INDEX if len(k) == 3)
_SHORT_ANCHORS = tuple(k for k in _ANCHOR_INDEX if len(k) < 3)


def _pattern_matches(sentence: str) -> list[tuple[str, re.Match[str]]]:
    low = sentence.lower()
    run = set(_UNANCHORED)
    for g in [*set(_ANCHOR_KEYS_RE.findall(low)), *(k for k in _SHORT_ANCHORS if k in low)]:
        for a, orders in _ANCHOR_INDEX[g]:
            if a in low:
                run.update(orders)
    found = []
    for order in sorted(run):
        if not all(any(a in low for a in tail) for tail in _TAILS[order]):
            continue
        _anchors_of, t, alt = _ANCHORED[order]
        found.extend((m.start(), order, t, m) for m in _compiled(alt).finditer(sentence))
    found.sort(key=lambda f: (f[0], f[1]))
    out: list[tuple[str, re.Match[str]]] = []
    end = -1
    for start, _order, t, m in found:
        if start >= end and m.end() > start:
            out.append((t, m))
            end = m.end()
    return out


# Trigger words with another common sense in news, and the words that show it in the sentence:
# (type, first four letters of the trigger) -> context. A clinical trial is no court case, a stock
# market rally no protest, fighting games and a fighting chance no fighting (google-news, judged).
OTHER_SENSE: dict[tuple[str, str], re.Pattern[str]] = {
    ("trial", "tria"): re.compile(r"\b(?:clinical|vaccin\w*|drugs?|patients?|doses?|placebo|macaques|mice|free\s+trial|trial\s+(?:version|period|run))\b", re.I),
    ("protest", "rall"): re.compile(r"\b(?:stocks?|shares|index(?:es)?|indices|markets?|Dow|Nasdaq|S&P|prices?|dollar|euro|yen|bonds?|futures|investors)\b", re.I),
    ("assault", "figh"): re.compile(r"\bfighting\s+(?:games?|spirit|chance|fit|form|talk|words|irish)\b", re.I),
    ("assault", "atta"): re.compile(r"\b(?:heart|panic|asthma|anxiety|scoring|passing|running|rushing|offensive|balanced|counter)[\s-]+attacks?\b", re.I),
    # "was killed Tuesday in a motorcycle accident": a death in an accident is no assault (the accident's own trigger stays)
    ("assault", "kill"): re.compile(r"\bkill(?:ed|ing|s)\b[^.;]{0,50}\bin\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}(?:accident|crash|collision|derailment|avalanche|landslide|fire|blaze)\b"
                                    r"|\bkill(?:ed|ing|s)\b[^;]{0,200}?\b(?:(?:railroad|railway|level|rail)\s+crossing|(?:struck|hit|run\s+over)\s+by\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,2}(?:train|car|truck|vehicle|bus|lorry|van|tram)|into\s+the\s+path\s+of)\b", re.I),
    # sport writing: "shooting a 6-under 66", "the primary character", "over visiting Washington"
    ("assault", "shoo"): re.compile(r"\bshoot(?:ing|s)?\s+(?:a\s+)?(?:\d+-(?:under|over)|\d{2}\b|even\s+par)", re.I),
    # a plan's requirement is no request: "his schedule calls for him to race 11 times", "the deal calls for 500 job cuts"
    ("request", "call"): re.compile(r"\b(?:schedules?|plans?|laws?|bills?|rules?|budgets?|forecasts?|recipes?|proposals?|contracts?|agreements?|deals?|designs?|programmes?|programs?|polic(?:y|ies)|strateg(?:y|ies)|scripts?|treat(?:y|ies)|timetables?|regulations?|legislation|resolutions?|measures?|blueprints?|settlements?)\s+(?:also\s+|now\s+|still\s+)?calls?\s+for\b", re.I),
    ("election", "prim"): re.compile(r"\bprimary\s+(?:character|school|care|reason|source|goal|concern|target|residence|role|focus|colou?r|key|objective)s?\b", re.I),
    # "nominated movies", "nominated for an Oscar": a work or an award's nominee, nobody appointed
    ("appointment", "nomi"): re.compile(r"\bnominat(?:ed|ions?)\s+(?:films?|movies?|pictures?|songs?|albums?|shows?|performances?|titles?)\b|\b(?:films?|movies?|pictures?|songs?|albums?|shows?)\s+(?:were\s+|was\s+)?nominated\b|\bnominat(?:ed|ions?)\s+for\s+(?:an?\s+|the\s+|his\s+|her\s+|their\s+|its\s+)?(?:[\w-]+\s+){0,3}(?:Oscars?|awards?|Emmys?|Grammys?|Golden\s+Globes?|Globes?|Baftas?|prizes?|best)\b", re.I),
    # a thing under investigation (a package, a fire's cause): nobody accused
    ("accuse", "inve"): re.compile(r"\b(?:packages?|parcels?|devices?|objects?|substances?|powder|envelopes?|cause|scene|incidents?|crash|fire|blaze|explosion|leak|sightings?)\b[^.;]{0,60}?\b(?:being|been|was|were|is|are)\s+(?:still\s+|now\s+)?investigated\b|\binvestigat(?:ed|ing|e|ions?\s+(?:into|of))\s+(?:the\s+|a\s+|an\s+)?(?:[\w-]+\s+){0,2}(?:packages?|parcels?|devices?|objects?|substances?|powder|envelopes?|cause|scene|incidents?|crash|fire|blaze|explosion|leak|sightings?)\b", re.I),
    # a statue or plaque unveiled is a ceremony, not a product
    ("product_release", "unve"): re.compile(r"\b(?:statues?|waxworks?|wax\s+(?:figures?|models?|likeness)|plaques?|memorials?|monuments?|portraits?|busts?|murals?|sculptures?|paintings?)\b", re.I),
    # a promise or demand about an election ("promised that the elections would be free and fair") is no vote
    ("election", "elec"): re.compile(r"\b(?:promis|pledg|vow|guarante|assur|insist|call(?:ed|s)?\s+for|demand|urg)\w*(?:\s+that)?\s+(?:[\w'’-]+\s+){0,4}elections?\b", re.I),
    ("consult", "visi"): re.compile(r"\bvisiting\s+(?:teams?|players?|side|fans|relatives|friends|family|professor|scholar|hours)\b|\b(?:over|against|the|a)\s+visiting\b"),
}

# Types that need a space mission or a launch vehicle in the sentence to be a "launch".
SPACE_WORDS_RE = re.compile(r"\b(?:rocket|satellite|spacecraft|probe|mission|lander|rover|orbiter|capsule|module|telescope|space|orbit|Moon|lunar|Mars|launch\s+(?:pad|site|window|vehicle)|shuttle\s+(?-i:Atlantis|Discovery|Endeavour))\b", re.I)

# --- CAMEO verb patterns (PETRARCH2, vendored: tasks/data/petrarch2/cameo_verbs.tsv) ------------------


@dataclass(frozen=True, slots=True)
class CameoVerbs:
    forms: Mapping[tuple[str, ...], tuple[int, str, str]]  # verb form tokens -> (block, code of the verb, verb)
    patterns: Mapping[int, tuple[tuple[str, tuple[frozenset[str], ...], tuple[frozenset[str], ...], str], ...]]  # block -> (code, before, after, verb)
    max_form: int
    first_words: frozenset[str] = frozenset()  # first token of every form: most words are none


@functools.lru_cache(maxsize=1)
def load_cameo_verbs() -> CameoVerbs:
    text = resources.files("tasks").joinpath("data/petrarch2/cameo_verbs.tsv").read_text(encoding="utf-8")
    synsets: dict[str, frozenset[str]] = {}
    rows = [line.split("\t") for line in text.splitlines() if not line.startswith("#")]
    for r in rows:
        if r[0] == "S":
            synsets[r[1]] = frozenset(r[2].split("|"))

    def words(part: str) -> tuple[frozenset[str], ...]:
        return tuple(synsets.get(w, frozenset([w])) for w in part.split())

    forms: dict[tuple[str, ...], tuple[int, str, str]] = {}
    patterns: dict[int, list] = defaultdict(list)
    for r in rows:
        if r[0] == "V":
            forms.setdefault(tuple(r[1].split()), (int(r[2]), r[3], r[4]))
        elif r[0] == "P":
            patterns[int(r[1])].append((r[2], words(r[3]), words(r[4]), r[5]))
    frozen = {b: tuple(sorted(ps, key=lambda p: -(len(p[1]) + len(p[2])))) for b, ps in patterns.items()}
    return CameoVerbs(forms, frozen, max(len(f) for f in forms), frozenset(f[0] for f in forms))


@functools.cache  # one per verb block (~300)
def _block_index(block: int) -> tuple[dict[str, tuple[int, ...]], dict[str, tuple[int, ...]]]:
    """The patterns of a verb block by the first word they want before the verb (those with words
    before it) and by the first word after it (those with words after it only)."""
    before: dict[str, list[int]] = defaultdict(list)
    after: dict[str, list[int]] = defaultdict(list)
    for k, (_code, pb, pa, _verb) in enumerate(load_cameo_verbs().patterns.get(block, ())):
        for w in pb[0] if pb else pa[0] if pa else ():
            (before if pb else after)[w].append(k)
    return {w: tuple(ks) for w, ks in before.items()}, {w: tuple(ks) for w, ks in after.items()}


def _block_candidates(block: int, bset: set[str], aset: set[str]) -> list[int]:
    """Positions, in order, of the block's patterns whose first word before (after) the verb is in
    the window: the only ones that can match (a block has up to ~180 patterns)."""
    before, after = _block_index(block)
    ks = {k for w in bset if w in before for k in before[w]}
    ks.update(k for w in aset if w in after for k in after[w])
    return sorted(ks)


def _in_order(want: tuple[frozenset[str], ...], toks: Sequence[str]) -> bool:
    i = 0
    for t in toks:
        if i < len(want) and t in want[i]:
            i += 1
    return i == len(want)


def cameo_type(code: str) -> str | None:
    """newslake event type of a CAMEO code (CAMEO2PLOVER-2021 at the root level; 173 arrest -> `arrest`)."""
    if not code[:2].isdigit():
        return None
    root = int(code[:2])
    if code.startswith("173"):
        return "arrest"
    if root == 8:
        return "concede" if code[:3] in ("080", "081", "082", "083") else "retreat"
    return CAMEO_ROOT_TYPES.get(root)


CAMEO_ROOT_TYPES = {1: "statement", 2: "request", 3: "agree", 4: "consult", 5: "support", 6: "cooperate", 7: "aid", 9: "accuse", 10: "request",
                    11: "accuse", 12: "reject", 13: "threaten", 14: "protest", 15: "mobilize", 16: "sanction", 17: "coerce", 18: "assault", 19: "assault", 20: "assault"}
WORD_RE = re.compile(r"[\w'’-]+")


def cameo_triggers(sentence: str, patterned_only: bool = False) -> list[tuple[str, int, int, str, str]]:
    """(event type, start, end, verb text, CAMEO code, all its digits) of the CAMEO verbs in a sentence: the longest
    pattern of the verb's block whose words stand in order before (6 words) and after (8 words) it
    gives the code, else the verb's own code (not with `patterned_only`); `---` codes no event."""
    return [t[:5] for t in _cameo_verbs(sentence) if t[5] or not patterned_only]


# Words that alone make no CAMEO pattern specific: "come ... to" (040), "head ... to" (030) match
# most sentences with the verb in it (patterns are matched within a window, not on a parse).
PARTICLES = frozenset("to with for in on at from back about up down out off over into by of the a an and as".split())


@functools.lru_cache(maxsize=64)  # a few documents' sentences: never a help across documents
def _cameo_verbs(sentence: str) -> tuple[tuple[str, int, int, str, str, int], ...]:
    """`cameo_triggers` with a last field: was the code given by a pattern (2: one with a content
    word, 1: of particles only, "to", "with"; 0: the verb's own code). Cached: the events stage
    asks again for a lede's sentences."""
    cv = load_cameo_verbs()
    ms = list(WORD_RE.finditer(sentence))
    toks = [m.group(0).lower() for m in ms]
    if "’" in sentence:
        toks = [t.replace("’", "'") for t in toks]
    out = []
    i = 0
    first_words = cv.first_words
    # only the words that start a verb form are looked at (from left to right, after the last hit)
    for at in [k for k, t in enumerate(toks) if t in first_words]:
        if at < i:
            continue
        i = at
        hit = None
        for n in range(min(cv.max_form, len(toks) - i), 0, -1):
            f = cv.forms.get(tuple(toks[i : i + n]))
            if f:
                hit = (n, f)
                break
        if hit is None or (i and ms[i].group(0)[0].isupper()) or toks[i : i + 2] == ["according", "to"]:
            # a capitalised word inside a sentence is a name ("Free Trade Agreement"); "according to"
            # attributes a report, it is no accord
            i += hit[0] if hit else 1
            continue
        n, (block, code, verb) = hit
        before, after = toks[max(0, i - 6) : i], toks[i + n : i + n + 8]
        by_pattern = 0
        bset, aset = set(before), set(after)
        patterns = cv.patterns.get(block, ())
        for k in _block_candidates(block, bset, aset):
            pcode, pb, pa, pverb = patterns[k]
            # a pattern's first word before (after) the verb must be there at all: a set test first
            if not (pb or pa) or pverb not in ("", verb):
                continue
            if pb and (pb[0].isdisjoint(bset) or not _in_order(pb, before)):
                continue
            if not pa or (not pa[0].isdisjoint(aset) and _in_order(pa, after)):
                code, by_pattern = pcode, 2 if any(w - PARTICLES for w in pb + pa) else 1
                break
        etype = cameo_type(code) if code != "---" else None
        if etype:
            out.append((etype, ms[i].start(), ms[i + n - 1].end(), sentence[ms[i].start() : ms[i + n - 1].end()], code, by_pattern))
        i += n
    return tuple(out)


NEGATION_RE = re.compile(r"\b(?:not|n['’]t|never|no(?!\.\s*\d)|without|failed\s+to|unable\s+to|refused\s+to|denied|den(?:y|ies)|halted|called\s+off|cancell?ed|scrubbed|scrapped)\b[^,;]{0,25}$", re.I)
HYPOTHETICAL_RE = re.compile(r"\b(?:if|could|might|may|should|would|unless|considering|consider|mull(?:s|ed|ing)?|weighing|contemplat(?:es|ed|ing)|possible|possibly|proposed|threatened\s+to|threatens\s+to|risk\s+of|fears?\s+of)\b[^.;]{0,40}$", re.I)
REPORTED_RE = re.compile(r"\b(?:said|says|told|claimed|claims|alleged|alleges|according\s+to|reportedly|allegedly|reported)\b", re.I)
PLANNED_RE = re.compile(r"\b(?:will|shall|scheduled|planned|plans?\s+to|planning|expected\s+to|set\s+to|due\s+to|upcoming|intends?\s+to|aims?\s+to|going\s+to|is\s+to|are\s+to|to\s+be|hop(?:e|es|ing)\s+to|seek(?:s|ing)?\s+to|prepar(?:es|ing)\s+to|poised\s+to|on\s+the\s+verge\s+of)\b[^.;]{0,40}$", re.I)
# A headline's "X to <verb>" ("Toyota to unveil concept truck", "Abbas to seek aid"): the future.
HEADLINE_PLAN_RE = re.compile(r"^\W*(?:[\w'’.-]+\s+){0,3}[A-Z][\w'’.-]*\s+to\s+$")


def event_mode(sentence: str, tpos: int, dated_future: bool) -> str:
    """`schema.EVENT_MODES` of the event a trigger at `tpos` reports: planned (future date or a
    future cue just before it), negated, hypothetical, reported (a speaker's claim), else actual."""
    before = sentence[max(0, tpos - 60) : tpos]
    if dated_future or PLANNED_RE.search(before) or HEADLINE_PLAN_RE.search(sentence[:tpos]):
        return "planned"
    if NEGATION_RE.search(before):
        return "negated"
    if HYPOTHETICAL_RE.search(before):
        return "hypothetical"
    if REPORTED_RE.search(sentence[:tpos]) and not REPORTED_RE.search(sentence[tpos : tpos + 12]):
        return "reported"
    return "actual"


def find_triggers(sentence: str, space: bool | None = None) -> list[tuple[str, int, int, str, str]]:
    """(event type, start, end, trigger text, CAMEO code) of every trigger in a sentence, in
    text order: the hand-written patterns, then the CAMEO verbs where none of them matched; a
    "launch" of an investigation/attack/product is typed as such, and a bare launch needs a space
    word in the sentence (`space`: the caller knows the sentence names a space mission). At most
    one trigger per position."""
    return trigger_candidates(sentence, space)[0]


def trigger_candidates(sentence: str, space: bool | None = None) -> tuple[list[tuple[str, int, int, str, str]], list[tuple[str, int, int, str, str]]]:
    """(`find_triggers`, every CAMEO verb of the sentence with its code): the second list is what the
    sentence classifier reads besides the triggers."""
    triggers, _news, verbs = _trigger_lists(sentence, space)
    return triggers, verbs


def _trigger_lists(
    sentence: str, space: bool | None = None
) -> tuple[list[tuple[str, int, int, str, str]], list[tuple[str, int, int, str, str]], list[tuple[str, int, int, str, str]]]:
    """(`find_triggers`, the triggers articles are read with, every CAMEO verb). In articles a
    CAMEO verb is a trigger only when a pattern of its block confirms its code, it stands where a
    verb stands (not after an article or possessive: "a sponsorship deal", "the fire scene"), the
    pattern has a content word (not "to" alone: `PARTICLES`) and it is no reporting verb ("said", "told": reported speech is the mode of another event, not an
    event); a verb's own code ("take" 171 seize, "head" 060, "hit" 190) alone gives none. The
    classifier reads the first list (what it was trained on)."""
    out: list[tuple[str, int, int, str, str]] = []
    vetoed: list[tuple[int, int]] = []  # spans of pattern words used in another sense: no CAMEO verb there either
    launch_of: dict[int, str] | None = None  # read only when a "launch" pattern matched
    for etype, m in _pattern_matches(sentence):
        if m.start() and sentence[m.start() - 1] == "-" and m.start() > 1 and sentence[m.start() - 2].isalnum():
            vetoed.append((m.start(), m.end()))  # the second half of a compound adjective: "court-appointed monitor", "U.S.-backed"
            continue
        if etype == "launch":
            if launch_of is None:
                launch_of = {lm.start(): t for t, rx in LAUNCH_OF for lm in rx.finditer(sentence)}
            if m.start() in launch_of:
                etype = launch_of[m.start()]
            else:
                if space is None:
                    space = bool(SPACE_WORDS_RE.search(sentence))
                if not space:
                    continue
        elif etype == "sport_result" and m.group(0)[:3].lower() in ("vic", "win") and ELECTION_CONTEST_RE.search(sentence, max(0, m.start() - 40), m.end() + 40):
            etype = "election"  # "Obama's surprise win over Hillary Clinton in the Iowa caucuses"
        elif etype == "agree" and m.group(0)[:4].lower() == "sign" and PLAYER_SIGNING_RE.match(sentence, m.start()):
            etype = "appointment"
        elif etype == "mission_milestone" and not space and not SPACE_WORDS_RE.search(sentence):
            continue  # "fees were returned to customers", "troops arrived": no mission without a space word
        veto = OTHER_SENSE.get((etype, m.group(0).lower()[:4]))
        if veto is not None and veto.search(sentence):
            vetoed.append((m.start(), m.end()))
            continue
        out.append((etype, m.start(), m.end(), m.group(0), EVENT_ONTOLOGY[etype][1]))
    if any(t[0] in VIOLENT_DEATH_TYPES for t in out):
        out = [t for t in out if t[0] != "death"]  # "killed in a crash ... two died": the crash is the event
    # "is considering sending troops": the deliberation is the mode (hypothetical) of the act a
    # pattern names right after it, not a CAMEO threat of its own
    for dm in DELIBERATION_RE.finditer(sentence):
        if any(0 <= t[1] - dm.end() <= 2 for t in out):
            vetoed.append((dm.start(), dm.end()))
    news = list(out)
    # The CAMEO verbs the hand-written patterns do not cover: those a pattern of theirs confirms,
    # and in a sentence with no other trigger, the verb's own code.
    verbs = [t for t in _cameo_verbs(sentence) if not any(t[1] < e and s < t[2] for s, e in vetoed)]
    patterned_only = bool(out or vetoed)
    for t in verbs:
        if (t[5] or not patterned_only) and not any(t[1] < e and s < t[2] for _t, s, e, _x, _c in out):
            out.append(t[:5])
            if t[5] == 2 and t[0] != "statement" and not _noun_position(sentence, t[1]):
                news.append(t[:5])
    key = lambda t: t[1]  # noqa: E731
    return sorted(out, key=key), sorted(news, key=key), [t[:5] for t in verbs]


VIOLENT_DEATH_TYPES = frozenset({"assault", "accident", "disaster", "crime"})
DELIBERATION_RE = re.compile(r"\b(?:consider(?:s|ed|ing)?|mull(?:s|ed|ing)?|weigh(?:s|ed|ing)?|contemplat(?:es|ed|ing)|debat(?:es|ed|ing))\b", re.I)
NOUN_BEFORE_RE = re.compile(r"(?:\b(?:a|an|the|his|her|its|their|our|my|your|this|that|these|those|of|no|every|each)|['’]s)\s+(?:[\w-]+\s+)?$", re.I)


def _noun_position(sentence: str, start: int) -> bool:
    """A word right after an article, possessive or "of" (one modifier between allowed) is a noun
    here, not the verb of the CAMEO dictionary: "a $11 million grant", "the female leads"."""
    return bool(NOUN_BEFORE_RE.search(sentence[max(0, start - 40) : start]))


def typed_triggers(sentence: str, space: bool | None = None) -> list[tuple[str, int, int, str, str]]:
    """The triggers articles are read with (`_trigger_lists`), with the sentence classifier's decision among the types it was trained on
    (`tasks.event_classifier`: PLOVER categories, crisis occurrences): of the triggers of those
    types one is kept, the one of the type the classifier gives the sentence (the first of them
    retyped when none has it); triggers of the other types (sport, business, launches...) stay."""
    return _classifier_typed(sentence, *_trigger_lists(sentence, space))


def _classifier_typed(
    sentence: str, triggers: list[tuple[str, int, int, str, str]], news: list[tuple[str, int, int, str, str]], verbs: list[tuple[str, int, int, str, str]]
) -> list[tuple[str, int, int, str, str]]:
    """`typed_triggers` given the sentence's `_trigger_lists`: every trigger it returns stands where
    one of `news` stands (a retyped trigger keeps its position)."""
    known = classifier_labels()
    ours = [t for t in news if t[0] in known]
    if not ours:
        return news
    stype, _p = sentence_type(sentence, triggers, verbs)
    keep = next((t for t in ours if t[0] == stype), None)
    if keep is None:
        t0 = ours[0]
        keep = (stype, t0[1], t0[2], t0[3], EVENT_ONTOLOGY[stype][1])
    # a sentence can coordinate two happenings ("met ... and signed", "the visit ... and the signing
    # of"): a hand-written trigger of another trained type joined by "and" after the kept one stays
    joined = [
        t for t in ours
        if t[0] != keep[0] and len(t[4]) <= 2 and t[1] > keep[2] and COORDINATED_RE.search(sentence, max(keep[2], t[1] - 12), t[1])
    ]
    extra = [next(t for t in joined if t[0] == ty) for ty in dict.fromkeys(t[0] for t in joined)]
    return sorted([t for t in news if t[0] not in known] + [keep, *extra], key=lambda t: t[1])


COORDINATED_RE = re.compile(r"\band\s+(?:the\s+|then\s+|later\s+)?$")


@functools.lru_cache(maxsize=1)
def classifier_labels() -> frozenset[str]:
    return frozenset(load_model()[1])


RELATIVE_CLAUSE_RE = re.compile(r",\s+(?:who|which|whose|where)\b[^,;]*(?:,|$)")
LOCATION_RE = re.compile(r"\b(?:in|at|near|outside)\s+(?:the\s+)?(?P<loc>[A-Z][\w'’-]+(?:[\s,]+(?:D\.C\.|[A-Z][\w'’-]+))?)")
LOCATION_PREP_RE = re.compile(r"\b(?:in|at|near|outside|off)\s+(?:the\s+)?(?:[\w'’-]+\s+){0,1}$")
ACTOR_ORDER = {"organisation": 0, "person": 1, "group": 2, "mission": 3, "country": 4, "location": 5}
LEDE_SENTENCES = 3  # title + first sentences: an undated trigger here is dated by the publication date
# A statement the headline or lead sentence reports as its news ("Rosie O'Donnell Admits She Is
# Annoying", "China reports it is making progress", "Dion suggests a diplomatic solution"): a
# speech verb in the present (or present perfect) right after a capitalised name, its subject.
# Elsewhere a reporting verb is the mode of another event, and an undated lede statement is left
# out (`extract_mentions`); here it is the happening, dated by the publication.
LEAD_STATEMENT_RE = re.compile(
    r"(?<=[A-Za-z.'’)])\s+(?P<verb>(?:(?:has|have)\s+(?:come\s+out\s+and\s+)?(?:stated|said|admitted|confirmed|revealed|insisted|claimed|defended|predicted|acknowledged))"
    r"|(?:admits|states|says|insists|confirms|suggests|reports|reveals|claims|stresses|maintains|defends|predicts|acknowledges))\b",
    re.I,
)
LEAD_SENTENCES = 2  # the headline and the first sentence
SPEAKER_KINDS = frozenset({"person", "organisation", "country"})  # not a common noun ("Woman says ...")
SUBJECT_GAP_RE = re.compile(r"(?:['’]s?)?\s*")


# A wire headline's "Speaker: what was said" or "What was said: Speaker" ("Erekat: Exceptions to
# Israeli settlement freeze not to be accepted", "NATO Intervention in Pakistan: Dion"): the colon
# stands for the speech verb. The said side has a lower-case word or three words: no section label
# ("OP-ED: John Esposito") nor score line ("NBA: Denver 124, Golden State 120").
# So is a headline's inverted "What was said, says Speaker" ("Tour to continue for now, says BCCI", "Chelsea's
# my last stop, says Anelka"): the trigger ", says" (its comma tells it from a lead statement's verb).
HEADLINE_SPEAKER_RE = re.compile(
    r"^\W*(?P<a>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,2})\s*(?P<colon>:)\s+(?P<said>\S.*)$"
    r"|^(?P<said2>.*\S)\s*(?P<colon2>:|,\s+(?:says|insists|admits|claims|warns|reveals))\s*(?P<b>[A-Z][\w'’.-]+(?:\s+[A-Z][\w'’.-]+){0,2})\s*$"
)
SAID_RE = re.compile(r"\b[a-z]{2,}\b|(?:\S+\s+){3}")
COLON_SPEAKER_KINDS = frozenset({"person", "country"})


def _headline_speaker(sentence: str) -> tuple[str, int, int, str, str] | None:
    """The colon of a headline's "Speaker: what was said" (`HEADLINE_SPEAKER_RE`) as a statement trigger, or None."""
    m = HEADLINE_SPEAKER_RE.match(sentence)
    if m is None:
        return None
    said, colon = ("said", "colon") if m.group("colon") else ("said2", "colon2")
    if not SAID_RE.search(m.group(said)) or re.search(r"\d", m.group(said)):
        return None
    ttext = ":" if m.group(colon) == ":" else m.group(colon)
    return ("statement", m.start(colon), m.end(colon), ttext, EVENT_ONTOLOGY["statement"][1])


def _speaker_trigger(ttext: str) -> bool:
    """Is a statement trigger a headline's speaker mark (`_headline_speaker`: ":" or ", says")?"""
    return ttext == ":" or ttext.startswith(",")


def _colon_speaker(sentence: str, actors: Sequence[Actor]) -> Actor | None:
    """The speaker of a headline's colon statement: the actor inside the speaker's words, a person
    or (before the colon: "Israel: ...") a country; "...message to Europe: Leave Afghanistan" has none."""
    m = HEADLINE_SPEAKER_RE.match(sentence)
    if m is None:
        return None
    before = m.group("colon") is not None
    lo, hi = m.span("a" if before else "b")
    kinds = COLON_SPEAKER_KINDS if before else SPEAKER_KINDS if m.group("colon2") != ":" else {"person"}
    return next((a for a in actors if a.kind in kinds and lo <= a.start and a.end <= hi), None)


def _lead_statement(sentence: str, news: Sequence[tuple[str, int, int, str, str]], headline: bool = False) -> tuple[str, int, int, str, str] | None:
    """The statement trigger of a headline or lead sentence (`LEAD_STATEMENT_RE`; a headline's
    "Speaker:", `_headline_speaker`), or None: not when a trigger of the sentence already stands on the verb."""
    if headline and not news and (said := _headline_speaker(sentence)) is not None:
        return said
    m = LEAD_STATEMENT_RE.search(sentence)
    if m is None or any(t[1] < m.end("verb") and m.start("verb") < t[2] for t in news):
        return None
    return ("statement", m.start("verb"), m.end("verb"), m.group("verb"), EVENT_ONTOLOGY["statement"][1])


@dataclass(frozen=True, slots=True)
class Mention:
    doc_id: str
    event_type: str
    date_value: str
    date_precision: str
    date_text: str
    planned: bool
    actors: tuple[Actor, ...]
    location: str | None
    sentence: str
    char_start: int
    char_end: int
    trigger: str
    confidence: float
    mode: str = "actual"
    cameo_code: str | None = None
    source: Actor | None = None
    target: Actor | None = None
    location_country: str | None = None
    trigger_start: int = -1  # offset in the document's clean text
    is_main: bool = False
    by_pattern: bool = False  # the trigger is a hand-written pattern (else a pattern-confirmed CAMEO verb)


def _regions(sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_relative_clause) regions of a sentence."""
    regs = [(m.start(), m.end(), True) for m in RELATIVE_CLAUSE_RE.finditer(sentence)]
    return regs


def _region_of(pos: int, regions: list[tuple[int, int, bool]]) -> int:
    for i, (s, e, _) in enumerate(regions):
        if s <= pos < e:
            return i
    return -1  # main clause


def extract_mentions(
    doc_id: str,
    text: str,
    reference_date: date,
    reference_is_publication: bool,
    max_year_back: int = 30,
) -> list[Mention]:
    """Event mentions in one clean text: a trigger and a date in the same clause (or an undated
    trigger in the lede of a dated article: the publication date), with actors (source, target),
    mode, location and evidence. The document's main event is flagged (`is_main`)."""
    gaz = load_gazetteer()
    dates = find_dates(text, reference_date, reference_is_publication=reference_is_publication, max_year_back=max_year_back)
    if not reference_is_publication:
        dates = undated_page_dates(dates, reference_date)
    sentences = split_sentences(text)
    if not dates and not reference_is_publication:
        return []
    # a dateline on a line of its own ("CHENNAI, India (AFP) ?") is no sentence of the lede: the lede's
    # count runs past it (the Baghdatis loss's winner, named in the third sentence after the headline)
    lede_n = LEDE_SENTENCES + sum(1 for s, e in sentences[1:LEDE_SENTENCES] if _dateline_only(text[s:e]))
    ctx: DocContext | None = None
    actor_cache: dict[int, list[Actor]] = {}
    tagged: dict[int, list[tuple[int, int, str]]] = {}

    def actors_of(i: int) -> list[Actor]:
        """Actors of sentence i: with the tagger's spans for trigger sentences (tagged in one call),
        dictionaries and document names only for the sentences before them."""
        nonlocal ctx
        if ctx is None:
            ctx = learn_document(text, gaz)
            todo = sorted(candidates)
            tagged.update(zip(todo, tag_sentences(text, [sentences[j] for j in todo]), strict=True))
        if i not in actor_cache:
            actor_cache[i] = find_actors(text[sentences[i][0] : sentences[i][1]], gaz, ctx, use_tagger=False, tagged=tagged.get(i))
        return actor_cache[i]

    later_cache: dict[int, list[Actor]] = {}

    def tagged_actors_of(j: int) -> list[Actor]:
        """Actors of sentence j with the tagger's spans, for a sentence after a trigger's (the name of
        a common-noun subject, `_named_later`): tagged only when asked (rare), apart from `actors_of`."""
        if j not in later_cache:
            spans = tagged[j] if j in tagged else tag_sentences(text, [sentences[j]])[0]
            later_cache[j] = find_actors(text[sentences[j][0] : sentences[j][1]], gaz, ctx, use_tagger=False, tagged=spans)
        return later_cache[j]

    def sentences_after(i: int) -> Iterator[tuple[str, list[Actor]]]:
        """The next `NAMED_LATER_SENTENCES` sentences after sentence i, with their actors (tagged as they are read)."""
        return ((text[sentences[j][0] : sentences[j][1]], tagged_actors_of(j)) for j in range(i + 1, min(len(sentences), i + 1 + NAMED_LATER_SENTENCES)))

    def sentence_actors(i: int, sentence: str) -> list[Actor]:
        """The sentence's actors; "Their/The two parties/..." or no named party: those of the last
        sentence (up to 3 back) that named an organisation or person."""
        actors = actors_of(i)
        pronoun = bool(PRONOUN_SUBJECT_RE.search(sentence))
        if i > 0 and (pm := PLAYER_SUBJECT_RE.match(sentence)):
            # "The third seed sailed past ...", "The Serb beat ...": the player the sentence before named
            # (tagged when asked, as for `_named_later`: a sentence with no trigger is not tagged); a
            # country's word inside that subject ("The Cypriot second seed") is the player's nationality
            prev = next((tagged_actors_of(j) for j in range(i - 1, max(-1, i - 3), -1) if any(a.kind == "person" for a in tagged_actors_of(j))), [])
            if any(a.kind == "person" for a in prev):
                actors = [a for a in actors if not (0 <= a.start < pm.end() and a.kind in ("country", "group", "location"))]
            have = {(x.name, x.kind) for x in actors}
            return actors + [replace(a, start=-1, end=-1) for a in prev if a.kind == "person" and (a.name, a.kind) not in have][:1]
        if pronoun or not any(a.kind in ("organisation", "person") for a in actors):
            prev = next((actors_of(j) for j in range(i - 1, max(-1, i - 4), -1) if any(a.kind in ("organisation", "person") for a in actors_of(j))), [])
            if pronoun or not any(a.kind in ("country", "group") for a in actors):
                have = {(x.name, x.kind) for x in actors}
                actors = actors + [replace(a, start=-1, end=-1) for a in prev if a.kind in ("organisation", "person") and (a.name, a.kind) not in have]
        return actors

    todo: list[tuple[int, bool, list, list, list]] = []  # sentence, lede?, triggers, regions, each trigger's date
    lead_said: dict[int, tuple[int, int]] = {}  # sentence -> span of its lead statement (`LEAD_STATEMENT_RE`)
    lead_dates: dict[int, list[DateMention]] = {}  # the lede's sentences -> their date mentions (`_lead_day`)
    lead_days: dict[int, DateMention] = {}  # mention (index in `out`) dated by the publication -> the lede's day for it
    score_lines: dict[int, ScoreLine] = {}  # lede sentence -> the score line it is (`_score_line`)
    di = 0
    for i, (s_start, s_end) in enumerate(sentences):
        while di < len(dates) and dates[di].start < s_start:
            di += 1
        sdates = []
        k = di
        while k < len(dates) and dates[k].start < s_end:
            if dates[k].end <= s_end:
                sdates.append(dates[k])
            k += 1
        if reference_is_publication and i <= lede_n:
            lead_dates[i] = sdates
        lede = reference_is_publication and i < lede_n
        if not sdates and not lede:
            continue
        sentence = text[s_start:s_end]
        lists = _trigger_lists(sentence, _names_mission(sentence, gaz))
        said = _lead_statement(sentence, lists[1], headline=i == 0) if reference_is_publication and i < LEAD_SENTENCES else None
        if said is not None:
            lead_said[i] = said[1:3]
        score = _score_line(sentence) if lede else None
        if score is not None:
            score_lines[i] = score
        if not lists[1] and said is None and score is None:
            continue
        regions = _regions(sentence)
        # a trigger's date depends on its position and words only, and the classifier keeps the
        # positions of the article triggers: with none of them dated, a sentence outside the lede
        # gives no mention, and the classifier is not asked
        news_dates = {t[1:4]: _trigger_date(sentence, s_start, t, sdates, regions, reference_date) for t in lists[1]}
        if not lede and not any(news_dates.values()):
            continue
        triggers = _classifier_typed(sentence, *lists) if lists[1] else []
        tdates = [news_dates[t[1:4]] for t in triggers]
        if said is not None and not any(t[1] < said[2] and said[1] < t[2] for t in triggers):
            triggers, tdates = [*triggers, said], [*tdates, None]
        if score is not None:  # the line is the result: no other trigger of it stands
            triggers, tdates = [("sport_result", score.start, score.end, sentence[score.start : score.end], EVENT_ONTOLOGY["sport_result"][1])], [None]
        # only sentences that will give a mention are tagged (the tagger is most of the stage's time)
        if lede and not all(tdates):
            triggers, tdates = _without_weak_undated(sentence, triggers, tdates, past_lead=i >= LEAD_SENTENCES + lede_n - LEDE_SENTENCES)
        if any(d is not None or (lede and (t[0] != "statement" or lead_said.get(i) == t[1:3])) for t, d in zip(triggers, tdates, strict=True)):
            todo.append((i, lede, triggers, regions, tdates))
    candidates = {i for i, *_rest in todo}
    dateline = _dateline(text, sentences)

    def in_dateline(i: int, a: Actor) -> bool:
        return dateline is not None and a.start >= 0 and dateline[2] <= sentences[i][0] + a.start < dateline[3]

    out: list[Mention] = []
    for i, lede, triggers, regions, tdates in todo:
        s_start, s_end = sentences[i]
        sentence = text[s_start:s_end]
        seen: set[tuple[str, str]] = set()
        actors: list[Actor] | None = None
        for (etype, tstart, tend, ttext, tcode), dm in zip(triggers, tdates, strict=True):
            treg = _region_of(tstart, regions)
            if dm is not None:
                value, precision, dtext, dconf, ddate = dm.value, dm.precision, dm.text, dm.confidence, dm.date
            elif lede and (etype != "statement" or lead_said.get(i) == (tstart, tend)):
                value, precision, dtext, dconf, ddate = reference_date.isoformat(), "day", "", 0.85, reference_date
            else:
                continue
            key = (etype, value)
            if key in seen:
                continue
            seen.add(key)
            if actors is None:
                actors = sentence_actors(i, sentence)
            ev_actors = _teams(sentence, _event_actors(etype, sentence, tstart, treg, regions, actors))
            mode = event_mode(sentence, tstart, ddate > reference_date)
            if mode != "planned" and FUTURE_CUES.search(sentence[max(0, tstart - 60) : tend + 40]) and etype in ("launch", "mission_milestone", "consult"):
                mode = "planned"
            if ddate > reference_date and mode != "planned":
                mode = "planned"  # never an actual event after its article's reference date
            # (a sport result's side named by its town is a team: "Denver", "the Mississauga St. Michael's Majors")
            named = any(a.kind not in ("country", "location") or (etype == "sport_result" and a.kind == "location") for a in ev_actors)
            conf = round(dconf * (0.9 if named else 0.6) * (1.0 if mode in ("actual", "planned") else 0.9), 3)
            if etype == "statement" and not any(a.kind in ("person", "organisation") for a in ev_actors):
                continue  # "a statement" with nobody making it is not an event
            source, target = _source_target(etype, [a for a in ev_actors if not in_dateline(i, a)], tstart, tend, sentence, headline=i == 0)
            if etype == "death" and BODY_TRIGGER_RE.search(ttext):
                # "Police recovered the body of a 60-year-old man": the finders are no party; the dead is after "of"
                # (named, or a common noun named a few sentences on: "Ilia Vaxman was found on Tuesday")
                later = sentences_after(i)
                source, target = _body_of(sentence, tend, ev_actors, later), None
                ev_actors = [a for a in ev_actors if a.start < 0 or a.start >= tend] + ([source] if source is not None and source.start < tend else [])
            elif etype in NAMED_LATER_TYPES and (source is None or target is None):
                later = sentences_after(i)
                person = _named_later(sentence, tstart, ev_actors, later)
                if person is not None:
                    ev_actors = [*ev_actors, person]
                    source, target = _source_target(etype, [a for a in ev_actors if not in_dateline(i, a)], tstart, tend, sentence, headline=i == 0)
            if etype == "sport_result" and source is not None and source.kind == "person" and THEY_BEFORE_RE.search(sentence, 0, tstart):
                source = None  # "Tony Mowbray hailed ... his side after they crushed 10-man Scunthorpe 5-0": "they" is no one person
            if etype == "sport_result" and i > 0 and source is None and HE_SHE_BEFORE_RE.search(sentence, 0, tstart):
                # "On Friday, he closed with three straight birdies for a 5-under 65": the player the sentences before named
                prev = next((p for j in range(i - 1, max(-1, i - 3), -1) for p in tagged_actors_of(j) if p.kind == "person"), None)
                source = replace(prev, start=-1, end=-1) if prev is not None else None
            line = score_lines.get(i) if etype == "sport_result" else None
            if line is not None and tstart == line.start:
                source, target = _score_sides(sentence, line, ev_actors)
                ev_actors = [source, target]
            if not _has_evidence(etype, tcode, source, target):
                continue
            if dm is None and etype == "statement" and _speaker_trigger(ttext):
                # a headline's "Speaker:" / ": Speaker": the speaker is the name next to the colon
                source = _colon_speaker(sentence, ev_actors)
                if source is None:
                    continue
                target = None if target is source or (target is not None and target.country is not None and target.country == source.country) else target
                mode = "actual"  # "Extremists must not kill ...: Brown": the said words' negation is not the statement's
            elif dm is None and etype == "statement" and (
                source is None or source.kind not in SPEAKER_KINDS or source.start < 0 or not SUBJECT_GAP_RE.fullmatch(sentence[source.end : tstart])
            ):
                continue  # a lead statement is its speaker's: the name right before the verb
            if etype == "consult" and ttext[:5].lower() == "visit" and (target is None or target.kind == "location"):
                continue  # "a visit to Ottawa" (a road game), "visiting a spine specialist": nobody met
            location, loc_country = _location(sentence, tstart, ev_actors, gaz)
            if (
                location is None and dateline is not None and i < lede_n + 1 and etype in OCCURRENCE_TYPES
                and all(a.country in (None, dateline[1]) for a in (source, target) if a is not None)
            ):
                # "BAGHDAD (Reuters) - A suicide bomber ...": a physical occurrence of the lead happened where it was
                # reported from; an interaction (a call, an accusation) may not have (the seeds' PARIS video call),
                # nor a happening of actors of another country (LONDON (Reuters) - ... the killing of Pakistan's Bhutto)
                location, loc_country = dateline[0], dateline[1]
            if dm is None and mode != "planned" and not (etype == "statement" and not _speaker_trigger(ttext)):
                # a lead statement's present tense ("says") is the publication's; a headline's colon is not
                day = _lead_day(i, tstart, sentences, text, lead_dates, reference_date, regions, lede_n=lede_n)
                if day is None and line is not None and tstart == line.start:
                    day = _match_day(dates, sentences, reference_date)
                if day is not None:
                    lead_days[len(out)] = day
            out.append(
                Mention(
                    doc_id=doc_id,
                    event_type=etype,
                    date_value=value,
                    date_precision=precision,
                    date_text=dtext,
                    planned=mode == "planned",
                    actors=tuple(ev_actors),
                    location=location,
                    sentence=sentence,
                    char_start=s_start,
                    char_end=s_end,
                    trigger=ttext,
                    confidence=conf,
                    mode=mode,
                    cameo_code=tcode[:2] or None,
                    source=source,
                    target=target,
                    location_country=loc_country,
                    trigger_start=s_start + tstart,
                    by_pattern=len(tcode) <= 2,
                )
            )
    lede_end = sentences[min(lede_n, len(sentences)) - 1][1] if sentences else 0
    lead_end = sentences[min(2, len(sentences)) - 1][1] if sentences else 0  # the headline and first sentence
    flagged = _flag_main(_redate_lede(out, reference_date), lede_end, reference_date if reference_is_publication else None, lead_end)
    # the lede's day after the main event is chosen: a day inferred from the lede is no evidence that
    # the mention is the news ("Tram derails in Croydon, killing seven": the derailment stays the main event)
    return _with_lead_days(flagged, lead_days)


# A dateline at the start of a line of the lead: "BAGHDAD (Reuters) -", "CHENNAI, India (AFP) ?", "OTTAWA --",
# "Naciriya, 2 Jan. (AKI) -", "Boston (eCanadaNow) -": the place the report was filed from.
DATELINE_RE = re.compile(
    r"(?:^|\n)[ \t]*(?P<place>[A-Z][A-Za-z'’.-]+(?:[ \t]+[A-Z][A-Za-z'’.-]+){0,2})(?:,[ \t]+(?P<region>[A-Z][A-Za-z.]+(?:[ \t]+[A-Z][A-Za-z.]+)?))?"
    r"(?:,?[ \t]+\d{1,2}[ \t]+[A-Z][a-z]{2,8}\.?)?[ \t]*(?:\([^()\n]{1,40}\)[ \t]*)?(?:--|[-–—_:?])(?=\s|$)"
)


# A result told as a score line, a report's headline or standfirst in every sport: "Derby County (0) 0 Wigan
# Athletic (0) 1" (half-time scores in brackets), "NBA: Denver 124, Golden State 120" (a section label before a
# colon), "Reading 0-2 Portsmouth". Read only in the lede (a results table further down is no news of its own).
_TEAM = r"[A-Z][\w.'’&-]*(?:\s+(?:[A-Z][\w.'’&-]*|&|of|de|la|del|du)){0,4}"
_SCORE_LABEL = r"(?:[A-Z][A-Za-z.&-]*(?:\s+[A-Z][A-Za-z.&-]*){0,2}:\s+)?"
SCORE_LINE_RE = re.compile(
    rf"^\s*{_SCORE_LABEL}(?P<a>{_TEAM})\s+(?:\(\d{{1,2}}\)\s+)?(?P<sa>\d{{1,3}}),?\s+(?P<b>{_TEAM})\s+(?:\(\d{{1,2}}\)\s+)?(?P<sb>\d{{1,3}})\s*$"
    rf"|^\s*{_SCORE_LABEL}(?P<a2>{_TEAM})\s+(?P<sa2>\d{{1,3}})\s*[-–]\s*(?P<sb2>\d{{1,3}})\s+(?P<b2>{_TEAM})\s*(?:[:|]\s.*)?$"
)
SCORE_LINE_MAX_CHARS = 120
MAX_SCORE = 200  # "Windows 7, Office 365" is no result
NOT_TEAM_RE = re.compile(
    r"^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|july|august|september|october|november|december"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday|page|chapter|section|vol|no|number|top|the)\b\.?",
    re.I,
)


@dataclass(frozen=True, slots=True)
class ScoreLine:
    a: tuple[int, int]  # the first side's span in the sentence
    b: tuple[int, int]
    score_a: int
    score_b: int
    start: int  # the trigger's span: from the first side to the last score
    end: int


def _score_line(sentence: str) -> ScoreLine | None:
    """The score line a lede sentence is (`SCORE_LINE_RE`), or None: short, with a digit (the cheap
    test first), two sides that are no month, weekday or page word, scores up to `MAX_SCORE`."""
    if len(sentence) > SCORE_LINE_MAX_CHARS or not any(c.isdigit() for c in sentence):
        return None
    m = SCORE_LINE_RE.match(sentence)
    if m is None:
        return None
    k = "" if m.group("a") is not None else "2"
    sa, sb = int(m.group("sa" + k)), int(m.group("sb" + k))
    if max(sa, sb) > MAX_SCORE or any(NOT_TEAM_RE.match(m.group(g + k)) for g in ("a", "b")):
        return None
    end = max(m.end("sb" + k), m.end("b" + k))
    return ScoreLine(m.span("a" + k), m.span("b" + k), sa, sb, m.start("a" + k), end)


def _score_sides(sentence: str, line: ScoreLine, actors: Sequence[Actor]) -> tuple[Actor, Actor]:
    """(winner, loser) of a score line (the first side first at a draw), each the team its side names:
    an actor the entities found inside the side (its country kept), else the side's words as an organisation."""

    def side(span: tuple[int, int]) -> Actor:
        inner = [a for a in actors if span[0] <= a.start and a.end <= span[1] and a.kind in ("organisation", "location", "country", "group")]
        name = sentence[span[0] : span[1]]
        found = next((a for a in inner if a.start == span[0] and a.end == span[1]), None)
        return Actor(name=name, kind="organisation", start=span[0], end=span[1], country=found.country if found else None, sector=found.sector if found else None)

    a, b = side(line.a), side(line.b)
    return (b, a) if line.score_b > line.score_a else (a, b)


MATCH_DAY_SENTENCES = 12  # a match report names its day early ("let us get on with telling Saturday's tale")


def _match_day(dates: Sequence[DateMention], sentences: Sequence[tuple[int, int]], reference: date, days_back: int = 7) -> DateMention | None:
    """The day a score line's match was played: the first day of the week before publication that
    the report's first `MATCH_DAY_SENTENCES` sentences name as a body dates its news ("Saturday",
    "last night"); None when they name none (the publication day stays)."""
    if not sentences:
        return None
    end = sentences[min(MATCH_DAY_SENTENCES, len(sentences)) - 1][1]
    return next(
        (d for d in dates if d.start < end and d.precision == "day" and 0 < (reference - d.date).days <= days_back and RELATIVE_DAY_RE.match(d.text)),
        None,
    )


def _dateline_only(sentence: str) -> bool:
    """A sentence that is only a dateline ("CHENNAI, India (AFP) ?", "OTTAWA --"): no sentence of the lede."""
    return DATELINE_RE.fullmatch(sentence.strip()) is not None


def _dateline(text: str, sentences: Sequence[tuple[int, int]]) -> tuple[str, str | None, int, int] | None:
    """(place, ISO alpha-3 country, start, end) of the dateline opening the article's first lines
    (after the headline), when its place is a known city or country; else None."""
    if len(sentences) < 2:
        return None
    gaz = load_gazetteer()
    d = load_dictionary()
    for m in DATELINE_RE.finditer(text, sentences[1][0] - 1 if sentences[1][0] else 0, min(len(text), sentences[min(2, len(sentences) - 1)][1])):
        place = m.group("place")
        name = place.title() if place.isupper() else place
        country = d.code_of(name) or _city_country(name) or (d.code_of(m.group("region")) if m.group("region") else None)
        if country is None and name not in gaz.cities:
            continue
        return name, country, m.start("place"), m.end()
    return None


def _with_lead_days(ms: list[Mention], lead_days: Mapping[int, DateMention]) -> list[Mention]:
    """Mentions still dated by the publication alone (an empty `date_text`) take the day their lede
    names for them (`lead_days`, by index, from `_lead_day`: "..., officials said Monday")."""
    return [replace(m, date_value=lead_days[n].value, date_text=lead_days[n].text) if n in lead_days and m.date_text == "" else m for n, m in enumerate(ms)]


def _redate_lede(ms: list[Mention], reference: date, days_back: int = 7) -> list[Mention]:
    """A headline or lede dated only by the publication date ("Tram derails in Croydon") usually
    reports the happening the body dates ("on Wednesday"): take the body's date when the same
    document has a mention of that type dated to a day in the week before publication."""
    out = []
    for m in ms:
        if m.date_text == "":
            dated = [x for x in ms if x.event_type == m.event_type and x.date_text and x.date_precision == "day"]
            dated = [x for x in dated if 0 <= (reference - date.fromisoformat(x.date_value)).days <= days_back]
            if dated:
                x = min(dated, key=lambda x: x.char_start)
                # the body's place too: a headline's place is the broader one ("in south London" / "in Croydon")
                loc = (x.location, x.location_country) if x.location else (m.location, m.location_country)
                m = replace(m, date_value=x.date_value, date_text=x.date_text, location=loc[0], location_country=loc[1])
        out.append(m)
    return out


RELATIVE_DAY_RE = re.compile(r"^\D*$")  # "Monday", "last night", "yesterday": a day named the way a body dates its news


def _lead_day(
    i: int, tstart: int, sentences: Sequence[tuple[int, int]], text: str, lead_dates: Mapping[int, list[DateMention]], reference: date,
    regions: list[tuple[int, int, bool]], days_back: int = 7, lede_n: int = LEDE_SENTENCES,
) -> DateMention | None:
    """The day the lede names for an undated lede trigger of sentence `i`: a day of the week before
    publication in its own sentence ("PSV beat NAC Breda 2-0 to go top ... on Sunday", "...,
    media reports said Wednesday"), for the headline in the first sentence after it ("Nicole
    Pratt retires" / "... broke down last night after announcing her immediate retirement"); a
    weekday or relative word before an absolute date (a dateline's "Jan. 8" is the publication's),
    the nearest to the trigger in its own sentence, in its clause or the main clause (not "India accused
    Australia ..., which ended here on Sunday"); None when the lede names no such day (the publication
    day stays: the most likely single day, `bench/event_dates.py`; a "today" is that day). A repeated
    headline is the headline."""
    s_start = sentences[i][0]
    sentence = text[s_start : sentences[i][1]]
    treg = _region_of(tstart, regions)

    def days(j: int) -> list[DateMention]:
        return [
            d for d in lead_dates.get(j, ())
            if d.precision == "day" and 0 < (reference - d.date).days <= days_back
            and not TERM_END_BEFORE_RE.search(text[max(0, d.start - 30) : d.start])
        ]

    own = [d for d in days(i) if _region_of(d.start - s_start, regions) in (treg, -1)]
    if own:
        return min(own, key=lambda d: (not RELATIVE_DAY_RE.match(d.text), abs(d.start - s_start - tstart)))
    headline = text[sentences[0][0] : sentences[0][1]].strip()
    if i != 0 and sentence.strip() != headline:
        return None
    # the first sentence after the headline (a repeated headline skipped)
    # (a dateline on a line of its own skipped)
    j = next(
        (j for j in range(i + 1, min(len(sentences), lede_n + 1))
         if text[sentences[j][0] : sentences[j][1]].strip() != headline and not _dateline_only(text[sentences[j][0] : sentences[j][1]])),
        None,
    )
    later = days(j) if j is not None else []
    return min(later, key=lambda d: (not RELATIVE_DAY_RE.match(d.text), d.start)) if later else None


def _without_weak_undated(sentence: str, triggers: list, tdates: list, past_lead: bool = False) -> tuple[list, list]:
    """Leave out the lede triggers that have no date of their own and are only a CAMEO verb's own
    code (no pattern of its block confirms it: "runs into", "puts", "treated"): dated by the
    publication date alone, these were most of the wrong main events on real news. Past the
    headline and lead sentence (`past_lead`) an undated trigger must be a hand-written pattern:
    there a confirmed CAMEO verb dated by the publication alone was wrong in 6 of 7 on google-news
    ("used a 12-0 run ... to take control", "after opening fire", "plan to protest", "will present")."""
    confirmed = {t[1] for t in _cameo_verbs(sentence) if t[5]} if not past_lead else set()
    keep = [(t, d) for t, d in zip(triggers, tdates, strict=True) if d is not None or len(t[4]) <= 2 or t[1] in confirmed]
    return [t for t, _d in keep], [d for _t, d in keep]


def _trigger_date(
    sentence: str, s_start: int, trigger: tuple[str, int, int, str, str], sdates: Sequence[DateMention], regions: list[tuple[int, int, bool]], reference: date
) -> DateMention | None:
    """The date mention of the sentence that dates `trigger`: in its clause (or the main clause),
    within 160 characters, fitting it (`_date_fits`), the nearest; None when none does."""
    _etype, tstart, tend, ttext, _code = trigger
    treg = _region_of(tstart, regions)
    usable = [d for d in sdates if _region_of(d.start - s_start, regions) in (treg, -1) and (treg != -1 or _region_of(d.start - s_start, regions) == -1)]
    usable = [d for d in usable if abs((d.start - s_start) - tstart) <= 160 and _date_fits(sentence, tstart, tend, ttext, d, s_start, reference)]
    return min(usable, key=lambda d: abs((d.start - s_start) - tstart)) if usable else None


PAST_TRIGGER_RE = re.compile(r"(?:ed|\bmet|\bheld|\btook|\bwon|\bbeat|\bfought|\bshot|\bstole|\bdrew|\blost|\bsought|\bwithdrew|\bsaid)$", re.I)
INFINITIVE_RE = re.compile(r"\bto\s+[a-z]+\b")
TERM_END_BEFORE_RE = re.compile(r"\b(?:through|thru|until|till|expir(?:es|ing|y)(?:\s+(?:in|on))?)\s+(?:the\s+end\s+of\s+)?(?:the\s+)?$", re.I)
DELAYED_TO_RE = re.compile(r"\b(?:postpon\w*|delay\w*|put\s+off|pushed\s+back|adjourn\w*|deferr?\w*)\b", re.I)
TERM_END_AFTER_RE = re.compile(r"\s+expir(?:y|ation|es)\b", re.I)


def _date_fits(sentence: str, tstart: int, tend: int, ttext: str, d: DateMention, s_start: int, reference: date) -> bool:
    """Can date mention `d` date the trigger? Not when a "to <verb>" stands between them (the date
    belongs to the complement: "agreed to organise meetings by the end of the year"), nor a future
    date for a past-tense trigger with no future cue ("welcomed ... the launch date, June 2022")."""
    ds = d.start - s_start
    if ds > tend and INFINITIVE_RE.search(sentence, tend, ds):
        return False
    if (TERM_END_BEFORE_RE.search(sentence[max(0, ds - 30) : ds]) and not DELAYED_TO_RE.search(sentence[max(0, ds - 60) : ds])) or TERM_END_AFTER_RE.match(sentence, d.end - s_start):
        # the end of a term ("a contract that runs through 2014", "before its June 30 expiry") dates no
        # happening; a delay's "until" names the new date ("the delay of elections until February 18")
        return False
    return not (d.date > reference and PAST_TRIGGER_RE.search(ttext) and not PLANNED_RE.search(sentence[max(0, tstart - 60) : tstart]))


def _names_mission(sentence: str, gaz: Gazetteer) -> bool | None:
    """True when the sentence names a space mission of the gazetteer (numbered or by name)."""
    if "aunch" not in sentence:
        return None
    if gaz.numbered.search(sentence):
        return True
    return any(gaz.lookup(m.group(0)) and gaz.lookup(m.group(0))[1] == "mission" for m in gaz.regex.finditer(sentence)) or None


# Types that are a concrete occurrence: a hand-written trigger of theirs is an event even when no
# actor is named ("A tram derailed, killing seven"). The other (PLOVER interaction) types are one
# actor doing something to another: without a source or a target there is no such event.
OCCURRENCE_TYPES = frozenset(
    {"accident", "disaster", "crime", "arrest", "trial", "election", "sport_result", "launch", "mission_milestone", "product_release",
     "business_results", "business_deal", "protest", "assault", "appointment", "resignation", "death"}
)


def _has_evidence(etype: str, code: str, source: Actor | None, target: Actor | None) -> bool:
    """Does a trigger report an event? An actor (source or target, not a mere place), or a
    hand-written trigger (its CAMEO field a root code or empty) of a concrete occurrence type."""
    if any(a is not None and a.kind != "location" for a in (source, target)):
        return True
    return etype in OCCURRENCE_TYPES and len(code) <= 2


BACKGROUND_DAYS = 31  # a happening dated more than a month before its article's publication is its background


def _period_end(value: str) -> date | None:
    """Last day of an ISO date value's period ("2007" -> 2007-12-31, "2007-11" -> 2007-11-30); None
    for values of other shapes (weeks, quarters, decades)."""
    parts = value.split("-")
    try:
        y = int(parts[0]) if len(parts[0]) == 4 else None
        if y is None:
            return None
        if len(parts) == 1:
            return date(y, 12, 31)
        mo = int(parts[1])
        if len(parts) == 2:
            return date(y + (mo == 12), mo % 12 + 1, 1) - timedelta(days=1)
        return date(y, mo, int(parts[2]))
    except ValueError:
        return None


def _background(m: Mention, published: date) -> bool:
    """A happening dated more than `BACKGROUND_DAYS` before publication, or "planned" for a date
    already past at publication ("due to be retired in November" in a January article)."""
    end = _period_end(m.date_value)
    return end is not None and ((published - end).days > BACKGROUND_DAYS or (m.mode == "planned" and end < published))


def _main_score(m: Mention, lede_end: int, published: date | None = None, lead_end: int = 0) -> float:
    """Evidence that a mention is the article's main event: in the headline or lead, a hand-written
    trigger (else a pattern-confirmed CAMEO verb), source and target named, a date of its own,
    told as having happened or planned; a statement (someone announcing) the least; the headline
    and first sentence (before `lead_end`) most of the lede. With the
    publication date known, a happening dated more than a month before it is background (a
    preview's last meeting, an obituary's career) and a "planned" one dated before it is not the news."""
    score = 2.0 * (m.char_start < lede_end) + 0.5 * (m.char_start < lead_end)
    score += 1.5 if m.by_pattern else 0.5
    score += 1.0 * (m.source is not None and m.source.kind != "location") + 0.5 * (m.target is not None and m.target.kind != "location")
    score += 0.5 * (m.date_text != "") + 0.5 * (m.mode in ("actual", "planned"))
    if published is not None and _background(m, published):
        score -= 3.0  # as much as the lede's place: what is new is the news
    return score - 3.0 * (m.event_type == "statement") - 3.0 * (m.confidence < 0.5)


def _flag_main(ms: list[Mention], lede_end: int = 400, published: date | None = None, lead_end: int = 0) -> list[Mention]:
    """The document's main event: the mention with the most evidence (`_main_score`), the first at
    equal evidence (`lede_end`: where the headline and lead sentences end; `published`: the
    document's publication date, when known)."""
    if not ms:
        return ms
    best = max(range(len(ms)), key=lambda i: (_main_score(ms[i], lede_end, published, lead_end), -i))
    if published is not None and _background(ms[best], published):
        return ms  # every happening it names is background (an obituary's career, a feature's history): no main event
    return [replace(m, is_main=True) if i == best else m for i, m in enumerate(ms)]


def _event_actors(
    etype: str, sentence: str, tpos: int, treg: int, regions: list[tuple[int, int, bool]], actors: list[Actor]
) -> list[Actor]:
    """Actors of one trigger: the antecedent of a relative clause, or the sentence's actors."""
    if treg != -1:
        rs = regions[treg][0]
        before = [a for a in actors if 0 <= a.end <= rs and a.kind in ("person", "mission", "organisation", "group")]
        if before:
            head = max(before, key=lambda a: a.end)
            keep = [head]
            if head.kind == "person":
                keep += [a for a in actors if a.kind == "organisation" and a.name in head.role]
            return keep
    if etype in ("launch", "mission_milestone"):
        missions = [a for a in actors if a.kind == "mission" and a.start >= 0]
        if missions:
            nearest = min(missions, key=lambda a: abs(a.start - tpos))
            return [a for a in actors if a.kind != "mission"] + [nearest]
    return list(actors)


RECIPROCAL_TYPES = frozenset({"consult", "agree", "cooperate", "business_deal", "sport_result"})


PASSIVE_RE = re.compile(r"\b(?:was|were|been|being|is|are|be|got|gets|get)\s+(?:\w+ly\s+)?$", re.I)
DATELINE_END_RE = re.compile(r"\)\s*(?:[-–—_?]|$)")
BY_AGENT_RE = re.compile(r"^\W*(?:[\w'’-]+\s+){0,6}?by\s+(?:the\s+)?$", re.I)
# Types whose passive ("Anne Darwin was arrested", "two men were killed by gunmen") names the target first.
PASSIVE_TYPES = frozenset(t for t, (plover, _c) in EVENT_ONTOLOGY.items() if plover) | {"arrest", "trial", "crime", "sport_result"}
# A headline's participle with no auxiliary is a passive: "Driver Arrested After Truck Flips", "Three Killed in Raid".
HEADLINE_PASSIVE_RE = re.compile(r"^[A-Z][\w'’.-]*(?:ed|en|wn)$")
# A nominal trigger with its patient after "of": "condemned the killing of Benazir Bhutto", "the arrest of two men".
NOMINAL_OF_RE = re.compile(r"^\s+of\s+(?:the\s+)?(?:[\w'’-]+\s+){0,3}$", re.I)
PLOVER_CODED = frozenset(t for t, (plover, _c) in EVENT_ONTOLOGY.items() if plover)
DEMONYM_GAP_RE = re.compile(r"(?:['’]s)?\s+(?:[\w.-]+\s+){0,3}")  # "Austrian Jurgen Melzer", "Italy's Simone Bolelli"
# A person named by kinship or counsel to an actor is not that actor.
KIN_AFTER_RE = re.compile(r"['’]s?\s+(?:(?:older|younger|elder|former|estranged|late|ex-)\s*)?(?:husband|wife|son|daughter|brother|sister|father|mother|boyfriend|girlfriend|fianc[ée]e?|partner|lawyer|attorney|nephew|niece|cousin|widow|uncle|aunt)\b", re.I)
ATTRIBUTION_AFTER_RE = re.compile(r"\s+(?:has\s+|have\s+)(?:learned|learnt|reported)\b|\s+reports?\b", re.I)
# Who tells of an occurrence is not in it: "An earthquake struck ..., the U.S. Geological Survey said" (PLOVER's
# gold records do code some speakers after the trigger as targets: kept for its interaction types).
OCCURRENCE_ATTRIBUTION_RE = re.compile(ATTRIBUTION_AFTER_RE.pattern + r"|\s+(?:said|says|told|confirmed)\b", re.I)
# Sport results told from the loser's side: "Hewitt lost to Guccione", "were beaten by".
LOSER_TRIGGER_RE = re.compile(r"^(?:lost|los(?:e|es|ing)|beaten)\b", re.I)
# ... or as a noun with the winner after "to/by/against": "suffering a crushing 6-1 6-3 loss to Nadia Petrova".
# A one-sided loss: "crashed out of", "bows out of", "exits": its subject is the loser.
EXIT_TRIGGER_RE = re.compile(r"^(?:(?:crash|bow|knock)(?:s|es|ed)?\s+out|exit(?:s|ed)?)\b", re.I)
LOSER_OPPONENT_RE = re.compile(r"\s+(?:the\s+)?(?P<team>(?:[A-Z][\w.'’-]*\s+){0,3}(?:[A-Z][\w.'’-]*|\d+s)\b)")
LOSER_NOUN_RE = re.compile(r"\b(?:loss|defeat)$", re.I)
LOSER_NOUN_AFTER_RE = re.compile(r"\s+(?:to|by|against)\b", re.I)
# A result's trigger that holds its opponent: "past the Timberwolves, 105-98", "over the New York Knicks, 101-92".
OBJECT_IN_TRIGGER_RE = re.compile(r"^(?:over|past|downed|topped|double\s+up|\d{1,3}-\d{1,3}\s+(?:over|past)|" + WINNER_VERBS + r")\s", re.I)
# Occurrence types whose actors are people and organisations: a place is where they happened, not who did it.
PLACE_NO_ACTOR_TYPES = frozenset({"death", "accident", "disaster", "crime", "arrest", "trial", "launch", "product_release", "business_deal", "business_results", "appointment", "resignation"})
# Happenings with no country as a party: a country after "in/at/near" is where they happened.
PLACE_ONLY_TYPES = frozenset({"death", "accident", "disaster", "crime", "arrest", "trial"})
# A place in a sport result's sentence that is where it was played, not the opponent: after "at/in/near"
# ("a 2-2 draw at White Hart Lane") or inside the tournament's name ("crashed out of the Chennai Open").
SPORT_EVENT_NAME_RE = re.compile(r"\s+(?:[\w.-]+\s+)?(?:open|cup|classic|masters|championships?|tournament|grand\s+prix|games)\b", re.I)
# A ground's name: "the Lawlor Events Center", "Madison Square Garden" (after "at/in": where, not who).
SPORT_GROUND_RE = re.compile(r"\b(?:Center|Centre|Arena|Stadium|Field|Park|Garden|Dome|Coliseum|Colosseum|Hall|Bowl|Oval|Ground)$")
# A golf round's trigger: a round has no opponent ("for a 5-under 65 and a two-shot lead in the Sony Open").
GOLF_ROUND_RE = re.compile(r"^(?:for\s+an?\s+\d|(?:shot|shoots|carded|cards|fired|fires|posted|posts)\s+(?:an?\s+)?(?:(?:\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)-|[67]\d\b))", re.I)
# "On Friday, he closed with ...": a clause whose subject is "he/she" just before a result's trigger.
THEY_BEFORE_RE = re.compile(r"\b(?:they|we)\s+$", re.I)
PRONOUN_BEFORE_RE = re.compile(r"\b(?:they|we|he|she)\s+$", re.I)  # a pronoun subject right before a result's trigger
# A competition's name: no side of a result ("Barclays Premier League", "the FA Cup", "the Australian Open").
COMPETITION_NAME_RE = re.compile(
    r"\b(?:League|Cup|Championships?|Open|Series|Trophy|Tournament|Premiership|Invitational|Olympics|Games|Grand\s+Prix|Bundesliga|Serie\s+A|La\s+Liga)$"
)
HE_SHE_BEFORE_RE = re.compile(r"(?:^|[,;:]\s+|\band\s+)(?:[Hh]e|[Ss]he)\s+(?:[\w'’-]+\s+){0,6}$")
# Two sides merged into one span by the tagger: "Tottenham and Reading served up a 2-2 draw".
SIDES_RE = re.compile(r"^(?P<a>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})\s+(?:and|&)\s+(?P<b>[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2})$")
POSSESSOR_BEFORE_RE = re.compile(r"(?:\b(?P<pron>his|her|their)|['’]s?)\s+(?:[\w.-]+\s+){0,3}$", re.I)
BARE_PLACE_PREP_RE = re.compile(r"\b(?:in|at|into|from|out\s+of)\s+$", re.I)
OFFICE_GAP_RE = re.compile(rf"\s+(?:[A-Z][\w'’-]*\s+)?{TITLE_WORDS}\s+")
UNDER_ARREST_RE = re.compile(r"\b(?:is|was|are|were|been|being|remains?|remained)\s+under\s+$", re.I)
# An accident's object owned by its subject is not a second party: "A police officer crashed his cruiser".
OWN_OBJECT_RE = re.compile(r"\b(?:his|her|its|their)\s+(?:[\w-]+\s+){0,2}$", re.I)
# A clause break between an occurrence's trigger and a later actor: "Robinson retired in November ..., winning an
# OBE", "..., while Ashton ...", "..., said the Aguilas Cibaenas": the actor belongs to another clause.
CLAUSE_BREAK_RE = re.compile(r"[,;]\s+(?:[a-z]+ing|while|whereas|but|although|though|which|who|whose|said|says|according\s+to)\b|\s(?:--+|[–—])\s")
# A place followed by a capitalised plural names a team or a club that stands for it: "the Washington Capitals",
# "The Portland Trail Blazers", "the Los Angeles Kings" (the tagger finds only the place).
TEAM_AFTER_PLACE_RE = re.compile(r"\s+(?:[A-Z][a-z]+\s+)?(?:[A-Z][a-z]*[a-rt-z]s|\d+ers)\b(?!['’.-]\w)")
NOT_TEAM_WORDS = frozenset("mondays tuesdays wednesdays thursdays fridays saturdays sundays games olympics championships".split())


# A person first named by a common noun ("A driver from Pennsylvania is under arrest", "Amy Winehouse's husband
# appeared in court") whose name a following sentence gives ("Artur Gaska, 39, faces charges", "Blake
# Fielder-Civil is accused of ..."): news names the subject of an arrest, a trial or a death a few lines on.
COMMON_PERSON_RE = re.compile(
    r"\b(?P<noun>driver|motorist|man|woman|boy|girl|teenager|teen|youth|suspect|gunman|pilot|passenger|pedestrian|cyclist|"
    r"student|husband|wife|son|daughter|mother|father|boyfriend|girlfriend|landlord|tenant|worker|resident|victim)\b(?!['’-])",
    re.I,
)
COMMON_PERSON_BEFORE_RE = re.compile(r"(?:^\W*|\b(?:an?|the|his|her|their|its)\s+(?:[\w-]+\s+){0,2}|['’]s\s+(?:[\w-]+\s+)?)$", re.I)
AGE_AFTER_RE = re.compile(r",\s*\d{1,3}\s*,")
SPEAKER_AFTER_RE = re.compile(r"\s*(?:,\s*(?:an?|the)\s|said\b|says\b|told\b)", re.I)
# An office of an organisation as a subject, "Starbucks founder back at helm": the person holding it, named
# later with the title ("said Founder and Chairman Howard Schultz will ..."), not the organisation.
ROLE_AFTER_ORG_RE = re.compile(r"\s+(?P<noun>founder|co-founder|chief|boss|chairman|chairwoman|ceo|owner|president)\b(?!['’-])", re.I)
# A player named by a common noun as the sentence's subject, the name given a sentence before ("Novak Djokovic
# is making sure ... / The third seed sailed past Italy's Simone Bolelli"): `sentence_actors` carries the name.
PLAYER_SUBJECT_RE = re.compile(
    r"^\W*The\s+(?:[\w.-]+\s+){0,3}?(?:seed|champion|titleholder|title-holder|defending\s+champion|favou?rite|veteran|teenager"
    r"|youngster|qualifier|wildcard|wild-card|finalist|world\s+number\s+\w+|Serb|Swiss|Spaniard|Briton|Frenchman|Swede|Scot|Dane|Czech|Croat|Argentine)\s+[a-z]"
)
NAMED_LATER_TYPES = frozenset({"arrest", "trial", "crime", "death", "accident", "appointment", "resignation"})
# Happenings to one person: a country (or its demonym) that only qualifies an office noun ("Sri Lankan cricket
# chief resigns", "the Cypriot second seed") names the office, not the actor; its holder is (see `_named_later`).
PERSON_CENTRED_TYPES = frozenset({"resignation", "appointment", "death", "arrest", "trial"})
COUNTRY_OFFICE_RE = re.compile(
    r"(?:['’]s)?\s+(?:[a-z][\w-]*\s+){0,2}(?P<noun>chief|boss|chairman|chairwoman|ceo|president|captain|coach|manager|seed"
    r"|champion|minister|official|ambassador|envoy|leader|head|director|skipper|striker|goalkeeper|player)\b(?!['’-])"
)
# Before a party of a one-participant happening (an arrest, a death, a resignation, ...), a subordinator opening
# another happening: "retires after loss to Nadia Petrova", "died following a crash with".
AFTER_OTHER_TYPES = frozenset({"assault", "disaster", "coerce", "protest"})  # violent and mass happenings: a party after "after" is another's
ANOTHER_HAPPENING_RE = re.compile(r"\b(?:after|following|amid|before)\s", re.I)
NAMED_LATER_SENTENCES = 4


def _named_later(
    sentence: str, tstart: int, actors: Sequence[Actor], later: Iterable[tuple[str, Sequence[Actor]]]
) -> Actor | None:
    """The person a common-noun subject before the trigger stands for (see COMMON_PERSON_RE), placed at
    the noun: the first person of the `later` sentences (text, actors) who opens a sentence or is given
    an age ("Artur Gaska, 39,"), not a speaker ("..., a police spokesman", "... said"). None when a
    person or organisation is named before the trigger, or no such noun is."""
    offices = {a.end: m for a in actors if a.kind == "organisation" and 0 <= a.end <= tstart and (m := ROLE_AFTER_ORG_RE.match(sentence, a.end, tstart))}
    # "Sri Lankan cricket chief resigns": a country's office, held by the person named with it
    offices |= {a.end: m for a in actors if a.kind == "country" and 0 <= a.end <= tstart and (m := COUNTRY_OFFICE_RE.match(sentence, a.end, tstart))}
    if any(0 <= a.end <= tstart and a.kind in ("person", "organisation") and not KIN_AFTER_RE.match(sentence, a.end) and a.end not in offices for a in actors):
        return None
    noun = next((m for m in COMMON_PERSON_RE.finditer(sentence, 0, tstart) if COMMON_PERSON_BEFORE_RE.search(sentence[max(0, m.start() - 40) : m.start()])), None)
    office = next(iter(offices.values()), None) if noun is None else None
    if noun is None and office is None:
        return None
    noun = noun or office
    title = re.compile(rf"\b{re.escape(office.group('noun'))}\b[^,;.]{{0,30}}$", re.I) if office is not None else None
    kin = {a.name for a in actors if 0 <= a.end <= tstart and KIN_AFTER_RE.match(sentence, a.end)}  # not the husband's wife
    for text, acts in later:
        for a in acts:
            if a.kind != "person" or a.start < 0 or a.name in kin or SPEAKER_AFTER_RE.match(text, a.end):
                continue
            if title is not None:  # the office's holder: named with its title
                if title.search(text, max(0, a.start - 40), a.start):
                    return replace(a, start=noun.start("noun"), end=noun.end("noun"))
                continue
            if AGE_AFTER_RE.match(text, a.end) or not text[: a.start].strip(" \t\n\"'“‘"):
                return replace(a, start=noun.start("noun"), end=noun.end("noun"))
    return None


BODY_TRIGGER_RE = re.compile(r"\bbod(?:y|ies)\b|\bpassing\s+of$", re.I)  # "recovered the body", "found the bodies", "the sad passing of": the dead is after "of"
BODY_OF_RE = re.compile(r"^(?:\s+of)?\s+(?:an?\s+|the\s+)?(?:[\w-]+\s+){0,4}?$", re.I)


def _body_of(sentence: str, tend: int, actors: Sequence[Actor], later: Iterable[tuple[str, Sequence[Actor]]]) -> Actor | None:
    """The dead of a body found or recovered: the person right after the trigger ("the body of John Smith"),
    else, after a common noun ("the body of a 60-year-old Toronto man"), the person opening one of the `later`
    sentences or given an age, placed at the noun (as `_named_later`); None when neither is."""
    near = next((a for a in sorted(actors, key=lambda a: a.start) if a.kind == "person" and a.start >= tend and BODY_OF_RE.match(sentence[tend : a.start])), None)
    if near is not None:
        return near
    noun = COMMON_PERSON_RE.search(sentence, tend, tend + 60)
    if noun is None or not BODY_OF_RE.match(sentence[tend : noun.start()]):
        return None
    for text, acts in later:
        for a in acts:
            if a.kind == "person" and a.start >= 0 and not SPEAKER_AFTER_RE.match(text, a.end) and (
                AGE_AFTER_RE.match(text, a.end) or not text[: a.start].strip(" \t\n\"'“‘")
            ):
                return replace(a, start=noun.start("noun"), end=noun.end("noun"))
    return None


def _sport_venue(sentence: str, a: Actor) -> bool:
    """A place where a sport result happened, not a side of it (see SPORT_EVENT_NAME_RE); a country only
    when it names the tournament ("the Australian Open"), since a country after "at/in" may be the team."""
    if a.kind not in ("location", "country", "organisation") or a.start < 0:
        return False
    if a.kind != "organisation" and SPORT_EVENT_NAME_RE.match(sentence, a.end):
        return True
    if a.kind == "organisation" and LOCATION_PREP_RE.search(sentence[max(0, a.start - 20) : a.start]) and (
        SPORT_EVENT_NAME_RE.match(sentence, a.end) or SPORT_GROUND_RE.search(a.name)
    ):
        return True  # "in the Sony Open" (the tagger's "Sony"), "at the Lawlor Events Center"
    return a.kind == "location" and bool(LOCATION_PREP_RE.search(sentence[max(0, a.start - 20) : a.start]))


def _teams(sentence: str, actors: Sequence[Actor]) -> list[Actor]:
    """The actors with each place that opens a team's name (see TEAM_AFTER_PLACE_RE) turned into that
    team, an organisation spanning the whole name; a place followed by another actor stays a place."""
    starts = {a.start for a in actors if a.start >= 0}
    out = []
    for a in actors:
        m = TEAM_AFTER_PLACE_RE.match(sentence, a.end) if a.kind == "location" and a.start >= 0 else None
        if m is None or m.group(0).split()[-1].lower() in NOT_TEAM_WORDS or any(a.end < s < m.end() for s in starts):
            out.append(a)
            continue
        name = sentence[a.start : m.end()]
        out.append(replace(a, name=name, kind="organisation", end=m.end(), role="participant", aliases=(name,)))
    return out


def _split_sides(a: Actor) -> tuple[Actor, Actor] | None:
    """An organisation span naming two sides ("Tottenham and Reading"): the two, with their own offsets."""
    m = SIDES_RE.match(a.name)
    if a.kind != "organisation" or m is None:
        return None
    first = replace(a, name=m.group("a"), end=a.start + m.end("a") if a.start >= 0 else -1, aliases=(m.group("a"),))
    second = replace(a, name=m.group("b"), start=a.start + m.start("b") if a.start >= 0 else -1, aliases=(m.group("b"),))
    return first, second


def _source_target(
    etype: str, actors: Sequence[Actor], tstart: int, tend: int, sentence: str | None = None, headline: bool = False
) -> tuple[Actor | None, Actor | None]:
    """Source: the nearest actor before the trigger (one carried over from an earlier sentence when
    none is named before it); target: the nearest actor after it. Places are a last resort (never
    for occurrences such as arrests and accidents; teams named by their city are a sport result's
    actors). In the passive voice (`sentence` given: "was arrested", "were killed", a `headline`'s
    bare participle) the actor before the trigger is the target and the source is the agent after
    "by", if any; so is a nominal trigger's patient after "of" ("the killing of X"). A result told
    by its loser ("lost to") has the winner as source."""
    if etype == "sport_result":
        # a competition ("the club's Barclays Premier League fortunes") is where a result counts, no side of it
        # (nor an organisation opening its name: "out of the ATP Chennai Open")
        cands = [
            a for a in actors
            if (sentence is None or not _sport_venue(sentence, a)) and not (a.kind != "person" and COMPETITION_NAME_RE.search(a.name))
            and not (sentence is not None and a.kind == "organisation" and a.start >= 0 and SPORT_EVENT_NAME_RE.match(sentence, a.end))
        ]
    elif etype in PLACE_NO_ACTOR_TYPES:
        # a country after "in/at/near" is where it happened: "killed in a motorcycle accident in the Dominican Republic"
        cands = [a for a in actors if a.kind != "location" and not (a.kind == "country" and etype in PLACE_ONLY_TYPES and sentence is not None and a.start >= 0 and LOCATION_PREP_RE.search(sentence[max(0, a.start - 20) : a.start]))]
    else:
        cands = [a for a in actors if a.kind != "location"] or list(actors)
    if sentence is not None and etype in PERSON_CENTRED_TYPES:
        # "Sri Lankan cricket chief resigns": the country qualifies the office; its holder (or nobody) is the actor
        cands = [a for a in cands if not (a.kind == "country" and a.start >= 0 and COUNTRY_OFFICE_RE.match(sentence, a.end))]
    if sentence is not None:  # the agency of a dateline, "CALGARY, Alberta (AP) -", is no actor of the event
        cands = [a for a in cands if not (a.start > 0 and sentence[a.start - 1] == "(" and DATELINE_END_RE.match(sentence, a.end))]
    if sentence is not None and etype not in PLOVER_CODED:
        # "appeared in court", "four years in prison", "died in hospital", "in police custody": a bare group word
        # after "in/at" is a place or a state, not a party of the happening
        cands = [a for a in cands if not (a.kind == "group" and a.start >= 0 and BARE_PLACE_PREP_RE.search(sentence, max(0, a.start - 12), a.start))]
        # "Austrian Jurgen Melzer", "Russian qualifier Alexandre Kudryavtsev": the person, not the country (PLOVER's
        # interactions keep the country: its codebook codes "U.S. negotiator Paul Nitze" as the United States)
        people = [a for a in cands if a.kind == "person" and a.start >= 0]
        cands = [a for a in cands if not (a.kind == "country" and a.start >= 0 and any(0 <= p.start - a.end <= 25 and DEMONYM_GAP_RE.fullmatch(sentence, a.end, p.start) for p in people))]
    if sentence is not None:
        # "National Police Commissioner Jackie Selebi": the office's holder, not a fragment of the office
        people = [a for a in cands if a.kind == "person" and a.start >= 0]
        cands = [a for a in cands if not (a.kind == "organisation" and a.start >= 0 and any(0 < p.start - a.end <= 40 and OFFICE_GAP_RE.fullmatch(sentence, a.end, p.start) for p in people))]
    before = [a for a in cands if 0 <= a.end <= tstart]
    if sentence is not None:  # "Amy Winehouse's husband appeared in court": the husband, not Amy Winehouse
        before = [a for a in before if not KIN_AFTER_RE.match(sentence, a.end)]
    after = [a for a in cands if a.start >= tend]
    if etype == "sport_result" and sentence is not None and OBJECT_IN_TRIGGER_RE.match(sentence[tstart:tend]):
        # "sailed past Italy's Simone Bolelli 6-1": the opponent inside the trigger is its target
        after = [a for a in cands if tstart < a.start and a.end <= tend] + after
    if sentence is not None:  # "..., CTV News has learned": the outlet that reports it, not the target
        attribution = ATTRIBUTION_AFTER_RE if etype in PLOVER_CODED else OCCURRENCE_ATTRIBUTION_RE
        after = [a for a in after if not attribution.match(sentence, a.end)]
        if etype not in PLOVER_CODED:  # an occurrence's second party is in the trigger's clause
            after = [a for a in after if not CLAUSE_BREAK_RE.search(sentence, tend, a.start)]
        # "Pratt retires after loss to Petrova": the opponent is the loss's, not the retirement's; "insurgents exploded a
        # bomb ... Tuesday, officials said, a day after rebels ambushed a patrol": the rebels are the ambush's
        if etype in NAMED_LATER_TYPES or etype in AFTER_OTHER_TYPES:
            after = [a for a in after if not ANOTHER_HAPPENING_RE.search(sentence, tend, a.start)]
        if etype == "accident":  # "crashed his cruiser": the subject's own vehicle
            after = [a for a in after if not OWN_OBJECT_RE.search(sentence[max(tend, a.start - 40) : a.start])]
    carried = [a for a in cands if a.start < 0]
    if etype == "sport_result" and sentence is not None and GOLF_ROUND_RE.match(sentence[tstart:tend]):
        # "shot a 68 to lead the Buick Invitational": a round's player, no opponent
        people = [a for a in before if a.kind == "person"] or [a for a in carried if a.kind == "person"]
        return (min(people, key=lambda a: a.start) if people else None), None  # the clause's subject: "Weir, of Bright's Grove, Ont., ... shot a 70"
    if sentence is not None and etype in PASSIVE_TYPES:
        word = sentence[tstart:tend].split()[0]
        participle = word.lower().endswith(("ed", "en", "wn", "t", "d"))
        passive = participle and bool(PASSIVE_RE.search(sentence[max(0, tstart - 30) : tstart]))  # "were killed", not "are demanding"
        passive = passive or (headline and bool(HEADLINE_PASSIVE_RE.match(word)) and not after)
        passive = passive or bool(UNDER_ARREST_RE.search(sentence[max(0, tstart - 30) : tstart]))  # "is under arrest"
        if passive:
            by = sentence[tstart:tend].lower().endswith(" by")  # the trigger holds the "by": "beaten by"
            agents = [a for a in after if a.start - tend <= 60 and (by or BY_AGENT_RE.search(sentence[tend : a.start]))]
            if not before and etype == "sport_result":  # "The Cypriot second seed was beaten by ...": the player named before
                before = [a for a in carried if a.kind == "person"][:1]
            return (agents[0] if agents else None), (max(before, key=lambda a: a.end) if before else None)
        if etype in ("arrest", "trial") and not word.lower().endswith("ed") and (pm := POSSESSOR_BEFORE_RE.search(sentence, max(0, tstart - 40), tstart)):
            # "since her Dec. 1 arrest", "Simpson's trial": the possessor is who was arrested or tried
            if pm.group("pron"):
                holder = max((a for a in before if a.kind in ("person", "organisation") and a.end <= pm.start()), key=lambda a: a.end, default=None)
            else:
                holder = next((a for a in before if a.end == pm.start()), None)
            if holder is not None:
                return None, holder
        if etype not in RECIPROCAL_TYPES and _noun_position(sentence, tstart):
            patient = next((a for a in after if a.start - tend <= 40 and NOMINAL_OF_RE.match(sentence[tend : a.start])), None)
            if patient is not None:
                agents = [a for a in after if a.start > patient.end and a.start - patient.end <= 40 and BY_AGENT_RE.search(sentence[patient.end : a.start])]
                return (agents[0] if agents else None), patient
    source = max(before, key=lambda a: (a.kind != "country" or len(before) == 1, a.end)) if before else (carried[0] if carried else None)
    if etype == "sport_result" and sentence is not None and THEY_BEFORE_RE.search(sentence, 0, tstart):
        # "West Brom manager Tony Mowbray hailed his side after they crushed Scunthorpe 5-0": "they" is a team,
        # the last one the clause names before (not its manager)
        # (a city's name may be its team: "West Brom"; a place after "in/at" is already no side)
        teams = [a for a in before if a.kind in ("organisation", "location")] or [a for a in carried if a.kind == "organisation"]
        source = max(teams, key=lambda a: a.end) if teams else None
    target = min(after, key=lambda a: a.start) if after else None
    inside = target is not None and target.start < tend  # the opponent held in the trigger: no subject after it
    pronoun_subject = etype == "sport_result" and sentence is not None and bool(PRONOUN_BEFORE_RE.search(sentence, 0, tstart))
    if source is None and target is not None and not inside and not pronoun_subject and etype in ("accident", "disaster", "sport_result", "election", "launch", "mission_milestone", "death"):
        # (not after a pronoun subject: "as they demolished Stoke 4-1": Stoke lost)
        source, target = target, None  # "a crash of a tram", "the launch of Chang'e-5": the subject follows
    if target is not None and source is not None and (target.name, target.kind) == (source.name, source.kind):
        target = None
    if target is None and source is not None and etype in RECIPROCAL_TYPES:
        # "ESA and CNSA held a video call": compound actors of a reciprocal event, both sides named first
        others = [a for a in before + carried if (a.name, a.kind) != (source.name, source.kind) and a.kind in ("organisation", "person", "country", "group")]
        if etype == "sport_result" and source.kind != "person":  # a team's opponent is no player ("for San Jose State, but Nevada ... won")
            others = [a for a in others if a.kind != "person"]
        if others:
            target = max(others, key=lambda a: (a.kind == source.kind, a.end))
    if etype == "sport_result" and source is not None and (sides := _split_sides(source)) is not None:
        source, target = sides  # "Tottenham and Reading served up a 2-2 draw": the two sides, whoever follows
    if etype == "sport_result" and sentence is not None and target is not None and (
        LOSER_TRIGGER_RE.match(sentence[tstart:tend]) or (LOSER_NOUN_RE.search(sentence[tstart:tend]) and LOSER_NOUN_AFTER_RE.match(sentence, tend))
    ):
        source, target = target, source
    elif etype == "sport_result" and sentence is not None and target is None and source is not None and LOSER_TRIGGER_RE.match(sentence[tstart:tend]):
        # "the Majors ... end up losing 5-3 to the 67s": the subject lost; the winner is the team named after
        # "to", a name the entities may not know ("the 67s"), else unnamed
        om = LOSER_OPPONENT_RE.match(sentence, tend) if sentence[tstart:tend].lower().endswith("to") else None
        winner = Actor(name=om.group("team"), kind="organisation", start=om.start("team"), end=om.end("team")) if om else None
        source, target = winner, source
    if etype == "sport_result" and sentence is not None and target is None and source is not None and EXIT_TRIGGER_RE.match(sentence[tstart:tend]):
        source, target = None, source  # "Baghdatis crashes out of the Chennai Open": its subject lost, the winner unnamed
    if etype == "death":  # one participant, the clause's subject: "Princess X, the sister of King Y, died"
        return (min(before, key=lambda a: a.start) if before else source), None
    return source, target


def _location(sentence: str, tpos: int, actors: Sequence[Actor], gaz: Gazetteer) -> tuple[str | None, str | None]:
    """(place, ISO alpha-3 country) where the event happened: the nearest place or country
    introduced by "in/at/near" within 120 characters of the trigger; a space-gazetteer city as before."""
    best = None
    for a in actors:
        if a.start < 0 or a.kind not in ("location", "country"):
            continue
        if not LOCATION_PREP_RE.search(sentence[max(0, a.start - 20) : a.start]):
            continue
        dist = abs(a.start - tpos)
        if dist <= 120 and (best is None or dist < best[0]):
            best = (dist, a.name, a.country)
    if best is None:
        for m in LOCATION_RE.finditer(sentence):
            loc = m.group("loc")
            for cand in (loc, loc.split(",")[0].split()[0] if loc.split() else loc):
                if cand in gaz.cities:
                    dist = abs(m.start() - tpos)
                    if dist <= 120 and (best is None or dist < best[0]):
                        best = (dist, cand, load_dictionary().code_of(cand) or _city_country(cand))
                    break
    return (best[1], best[2]) if best else (None, None)


def _city_country(city: str) -> str | None:
    toks = tuple(w.lower() for w in city.split())
    for phrase, entry in load_dictionary().by_first.get(toks[0], ()) if toks else ():
        if phrase == toks and entry.kind == "location":
            return entry.country
    return None


# --- merging into events -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    event_type: str
    event_date: date
    date_precision: str
    date_text: str
    planned: bool
    actors: tuple[Actor, ...]
    location: str | None
    summary: str
    doc_ids: tuple[str, ...]
    n_sources: int
    confidence: float
    mode: str = "actual"
    cameo_code: str | None = None
    source: Actor | None = None
    target: Actor | None = None
    location_country: str | None = None


def _expanded(actors: Iterable[Actor], gaz: Gazetteer) -> set[str]:
    """What identifies an event's participants: names of persons, organisations, missions, countries
    and country-coded groups, persons' aliases (surnames), the countries of organisations ('Europe
    and China' overlaps 'ESA and CNSA'). Generic agents ("police", "passengers") and places are not
    evidence: two arrests by police on one day are different events. Nor are news media (the
    agency of a dateline: "JAKARTA (AFP)"). Countries are marked (`_COUNTRY` prefix): one shared
    country alone is weak evidence (`_compatible`)."""
    out = set()
    for a in actors:
        if a.kind == "location" or (a.kind == "group" and not a.country) or a.sector == "media":
            continue
        out.add(_COUNTRY + (a.country or a.name) if a.kind == "country" else a.name)
        if a.kind == "person":
            out.update(x for x in a.aliases if len(x) > 3 and x != a.name.split()[0])
        if a.kind == "organisation" and a.name in gaz.country_of:
            home = gaz.country_of[a.name]
            out.add(_COUNTRY + (load_dictionary().code_of(home) or home))
    return out


_COUNTRY = "country:"


def _identifying(na: set[str], nb: set[str], places: Iterable[str | None]) -> bool:
    """Do the participants two reports share identify one happening? A shared person, organisation
    or group does; countries only when two or more are shared ("Europe and China" / "ESA and CNSA"),
    or when one country is all either side names and one side's place lies in it (a quake in Nepal /
    in Kathmandu, NPL). On real news one shared country alone ("United States") joins a tennis match
    to an ice-hockey rule change, and Apple's price cut in France to a French rail strike."""
    shared = na & nb
    if any(not x.startswith(_COUNTRY) for x in shared) or len(shared) >= 2:
        return True
    only_countries = all(x.startswith(_COUNTRY) for x in na | nb)
    return bool(shared) and only_countries and any(p and _COUNTRY + p in shared for p in places)


def _compatible(a: tuple, b: tuple) -> bool:
    """May two mentions (or a group and a stored event) report one happening? Items are (date value,
    precision, dated by publication only, expanded names, location, its country, documents). Dates: the same day
    (one day apart when one side only has its publication date), or a month holding the day.
    Participants: shared names, else the same place. Without either, only mentions of one document
    merge: on real news, same-type same-day happenings with no named participant in common are
    different happenings far more often than one (an attack in Gaza, a bombing in Thailand, a
    footballer's "attack" on a club)."""
    (va, pa, ia, na, la, ca, da), (vb, pb, ib, nb, lb, cb, db) = a, b
    if pa == pb == "day":
        gap = abs((date.fromisoformat(va) - date.fromisoformat(vb)).days)
        if gap > (1 if ia or ib else 0):
            return False
    elif pa != pb and "year" in (pa, pb) or va[:7] != vb[:7]:
        return False
    if _identifying(na, nb, (ca, cb)):
        return True
    if la and lb and la == lb:
        return True
    return bool(da & db)


def _merge_item(m: Mention, gaz: Gazetteer) -> tuple:
    return (m.date_value, m.date_precision, m.date_text == "", _expanded(m.actors, gaz), m.location, m.location_country, frozenset((m.doc_id,)))


def event_id_for(etype: str, value: str, actors: Iterable[Actor], salt: str = "") -> str:
    """A new event's id: type, date and key actors; `salt` (the event's first document) tells apart
    two events that share these but are not one happening (`merge_events`)."""
    key_actors = sorted({a.name for a in actors if a.kind == "organisation"}) or sorted({a.name for a in actors})
    return hashlib.sha256(f"{etype}|{value}|{'|'.join(key_actors)}{'|' + salt if salt else ''}".encode()).hexdigest()[:16]


def _merge_actors(groups: Iterable[Iterable[Actor]]) -> tuple[Actor, ...]:
    merged: dict[tuple[str, str], Actor] = {}
    for actors in groups:
        for a in actors:
            k = (a.name, a.kind)
            cur = merged.get(k)
            if cur is None:
                merged[k] = Actor(a.name, a.kind, a.role, country=a.country, sector=a.sector, aliases=a.aliases)
            else:
                merged[k] = Actor(
                    a.name,
                    a.kind,
                    a.role if cur.role == "participant" and a.role != "participant" else cur.role,
                    country=cur.country or a.country,
                    sector=cur.sector or a.sector,
                    aliases=tuple(sorted(set(cur.aliases) | set(a.aliases))),
                )
    return tuple(sorted(merged.values(), key=lambda a: (ACTOR_ORDER.get(a.kind, 9), a.name)))


def _bare(a: Actor | None) -> Actor | None:
    return None if a is None else Actor(a.name, a.kind, a.role, country=a.country, sector=a.sector, aliases=a.aliases)


def summarise(etype: str, value: str, actors: Sequence[Actor], location: str | None, planned: bool) -> str:
    names = [a.name for a in actors if a.kind not in ("country", "location")] or [a.name for a in actors if a.kind != "location"]
    who = ", ".join(names[:4]) + (" and others" if len(names) > 4 else "")
    where = f" in {location}" if location else ""
    plan = "planned " if planned else ""
    return f"{plan}{etype.replace('_', ' ')}: {who or 'unknown actors'}{where} ({value})"


def event_key(e: Event) -> tuple[str, str]:
    """(type, month, or year for year precision) of an event: what `merge_events` partitions on.
    Mentions and events with different keys never merge, so a run can merge key partitions one at
    a time; within a key, `_compatible` decides (same day, a month holding the day, shared actors)."""
    d, p = e.event_date, e.date_precision
    return e.event_type, _iso(d.year, d.month if p != "year" else None)


def mention_key(m: Mention) -> tuple[str, str]:
    return m.event_type, m.date_value if m.date_precision == "year" else m.date_value[:7]


def key_partition(key: tuple[str, str], parts: int) -> int:
    """Stable partition (0..parts-1) of a merge key, the same in every process and run."""
    return int.from_bytes(hashlib.blake2b(f"{key[0]}|{key[1]}".encode(), digest_size=8).digest(), "little") % parts


def _most(values: Iterable, default=None):
    vals = [v for v in values if v is not None]
    return max(sorted(set(vals), key=str), key=vals.count) if vals else default


def _event_value(e: Event) -> str:
    d, p = e.event_date, e.date_precision
    return _iso(d.year, d.month if p != "year" else None, d.day if p == "day" else None)


def _event_date_mention(gm: list[Mention]) -> Mention:
    """The mention whose date the merged event takes: the best dated (day precision, a date written in
    the text, confidence), but never later than a day-precision date of a mention that reports the
    happening as done: each report's date is at most its article's reference date, so the earliest
    of them keeps the event from lying after any reporting article's publication (issue 16.3; one
    day apart can merge: "Sunday" in a Sunday paper and the Saturday paper's undated report)."""
    best = max(gm, key=lambda m: (m.date_precision == "day", m.date_text != "", m.confidence))
    done = [m for m in gm if m.mode != "planned" and m.date_precision == "day"]
    if best.date_precision == "day" and done:
        earliest = min(m.date_value for m in done)
        if earliest < best.date_value:
            return max((m for m in done if m.date_value == earliest), key=lambda m: (m.date_text != "", m.confidence))
    return best


@dataclass(frozen=True, slots=True)
class _GroupFacts:
    """What a group of mentions says together: the mention whose date it takes, its merged actors,
    its commonest place and that place's country."""

    best: Mention
    actors: tuple[Actor, ...]
    location: str | None
    location_country: str | None


def _group_facts(gm: list[Mention]) -> _GroupFacts:
    location = _most(m.location for m in gm if m.location)
    country = _most(m.location_country for m in gm if m.location == location) if location else None
    return _GroupFacts(_event_date_mention(gm), _merge_actors(m.actors for m in gm), location, country)


def _stored_match(gm: list[Mention], stored: list[Event], gaz: Gazetteer) -> Event | None:
    """The stored event (of the same merge key) that a group of mentions reports, if any."""
    f = _group_facts(gm)
    best = f.best
    here = (best.date_value, best.date_precision, best.date_text == "", _expanded(f.actors, gaz), f.location, f.location_country, frozenset(m.doc_id for m in gm))
    return next(
        (e for e in stored if _compatible(here, (_event_value(e), e.date_precision, e.date_text == "", _expanded(e.actors, gaz), e.location, e.location_country, frozenset(e.doc_ids)))),
        None,
    )


def merge_events(
    mentions: Iterable[Mention],
    canonical_of: Mapping[str, str],
    stored: Iterable[Event] = (),
    min_confidence: float = 0.5,
) -> tuple[list[Event], dict[int, str]]:
    """Group mentions into events: same type, compatible dates and participants (`_compatible`).

    A group that matches a stored event (same type/date, overlapping actors) keeps the stored id and
    its documents. `n_sources` counts distinct duplicate clusters (`canonical_of`), so copies of one
    article count once. Returns the events and mention index -> event_id.
    """
    gaz = load_gazetteer()
    ms = list(mentions)
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, m in enumerate(ms):
        by_key[mention_key(m)].append(i)
    stored_by_key: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in stored:
        stored_by_key[event_key(e)].append(e)
    events: list[Event] = []
    assign: dict[int, str] = {}
    taken = {e.event_id for es in stored_by_key.values() for e in es}  # ids in use: a new event gets another
    for (etype, _kvalue), idxs in sorted(by_key.items()):
        # day precision first: a month-precision mention joins the day it holds
        idxs = sorted(idxs, key=lambda i: (ms[i].date_precision != "day", ms[i].date_value, i))
        items = {i: _merge_item(ms[i], gaz) for i in idxs}
        groups: list[dict[str, list[int]]] = []  # per group: document -> its mentions
        for i in idxs:
            # complete link over documents: a mention joins a group only when it fits some mention of
            # every document in it, so a chain of pairwise fits (A~B, B~C) never puts unrelated
            # reports into one event
            target = next((g for g in groups if all(any(_compatible(items[i], items[j]) for j in js) for js in g.values())), None)
            if target is None:
                groups.append({ms[i].doc_id: [i]})
            else:
                target.setdefault(ms[i].doc_id, []).append(i)
        order = {i: k for k, i in enumerate(idxs)}
        candidates: list[tuple[list[int], Event | None]] = []
        by_stored: dict[str, list[int]] = {}
        for grp in groups:
            g = sorted((i for js in grp.values() for i in js), key=order.__getitem__)
            match = _stored_match([ms[i] for i in g], stored_by_key.get((etype, _kvalue), []), gaz)
            if match is not None and match.event_id in by_stored:
                # two groups that both report a stored event are that one event (one id, one row):
                # in a re-run a document's reports fit the stored event that already lists it
                by_stored[match.event_id].extend(g)
                continue
            if match is not None:
                by_stored[match.event_id] = g
            candidates.append((g, match))
        for g, match in candidates:
            g.sort(key=order.__getitem__)
            gm = [ms[i] for i in g]
            facts = _group_facts(gm)
            actors, best = facts.actors, facts.best
            value, precision = best.date_value, best.date_precision
            doc_ids = sorted({m.doc_id for m in gm} | set(match.doc_ids if match else ()))
            if match:
                actors = _merge_actors([match.actors, actors])
                if (match.date_precision == "day" or best.date_precision != "day") and not (
                    best.mode != "planned" and precision == match.date_precision == "day" and _event_value(match) > value
                ):  # a stored date later than a report of it as having happened is not taken (issue 16.3)
                    value, precision = _event_value(match), match.date_precision
            confidence = max([m.confidence for m in gm] + ([match.confidence] if match else []))
            if confidence < min_confidence:
                continue
            location, loc_country = facts.location, facts.location_country
            if location is None and match:
                location = match.location
            modes = [m.mode for m in gm]
            mode = "actual" if "actual" in modes else _most(modes, "actual")
            if match and match.mode == "actual":
                mode = "actual"
            planned = mode == "planned"
            source = _most((_bare(m.source) for m in gm), None) or (match.source if match else None)
            target = _most((_bare(m.target) for m in gm), None) or (match.target if match else None)
            eid = match.event_id if match else event_id_for(etype, value, actors)
            if not match and eid in taken:  # same type, date and key actors, yet another happening
                eid = event_id_for(etype, value, actors, salt=doc_ids[0])
            taken.add(eid)
            n_sources = len({canonical_of.get(d, d) for d in doc_ids})
            events.append(
                Event(
                    event_id=eid,
                    event_type=etype,
                    event_date=DateMention(0, 0, "", value, precision, 1.0).date,
                    date_precision=precision,
                    date_text=best.date_text,
                    planned=planned,
                    actors=actors,
                    location=location,
                    summary=summarise(etype, value, actors, location, planned),
                    doc_ids=tuple(doc_ids),
                    n_sources=n_sources,
                    confidence=round(confidence, 3),
                    mode=mode,
                    cameo_code=_most(m.cameo_code for m in gm) or (match.cameo_code if match else None),
                    source=source,
                    target=target,
                    location_country=loc_country or (match.location_country if match else None),
                )
            )
            for i in g:
                assign[i] = eid
    return events, assign


def load_resources() -> None:
    """Load the vendored dictionaries (actors, CAMEO verbs, gazetteer), the event-type classifier and the tagger once per process,
    ~0.5-2 s: callers that time each document call this first, so no document pays for it.

    Python's cyclic garbage collector is paused meanwhile: the loaders build ~300k objects (tables of
    tuples and strings, no reference cycles), and each allocation burst set off collections that walk
    every object the process holds - after Prefect's import, 0.80-0.85 s of `load_dictionary` against
    0.22-0.33 s paused (idle machine)."""
    import gc

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        load_gazetteer()
        load_dictionary()
        load_cameo_verbs()
        load_model()
        find_actors("Paris.", load_gazetteer(), DocContext())
    finally:
        if was_enabled:
            gc.enable()


def extract_events(
    docs: Iterable[tuple[str, str, date | None]], run_date: date, max_year_back: int = 30
) -> list[Mention]:
    """Batch function: (doc_id, clean_text, published) -> mentions. Reference date = publication date
    when known (bounded above by the run date), else its dated dateline's day in the year the
    document's own dates give (`document_anchor`), else the run date, against which only the
    dates that carry their year (or take it from the document) are kept."""
    out: list[Mention] = []
    for doc_id, text, published in docs:
        published = published or dateline_date(text, run_date, document_anchor(text, run_date))
        ref = min(published, run_date) if published else run_date
        out.extend(extract_mentions(doc_id, text, ref, published is not None, max_year_back))
    return out


# A wire dateline with its day: "Naciriya, 2 Jan. (AKI) -", "SALMON, Idaho, Jan 17 (AP) -", "New Delhi, Jan 13 (IANS):",
# "OAKLAND, Calif., Dec. 29", "London, Dec 29:" (the day the report was filed).
MONTHS = {m: i + 1 for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split())}
DATED_DATELINE_RE = re.compile(
    r"(?:^|\n)[ \t]*[A-Z][A-Za-z'’.-]+(?:[ \t]+[A-Z][A-Za-z'’.-]+){0,2}(?:,[ \t]+[A-Z][A-Za-z.]+(?:[ \t]+[A-Z][A-Za-z.]+)?)?,[ \t]+"
    r"(?:(?P<d1>\d{1,2})[ \t]+(?P<m1>[A-Z][a-z]{2,8})\b\.?|(?P<m2>[A-Z][a-z]{2,8})\b\.?[ \t]+(?P<d2>\d{1,2})\b)"
    r"[ \t]*(?:\([^()\n]{1,40}\)[ \t]*)?(?:--|[-–—_:?]|(?=[ \t]+[A-Z]))"
)


def dateline_date(text: str, run_date: date, anchor: date | None, max_chars: int = 400) -> date | None:
    """The day of a dated dateline in the article's first lines: the publication date of a page
    that declares none (wire copy names its filing day there). The dateline names no year: it is
    the first occurrence of that day on or after `anchor` (the document's latest explicit date,
    `document_anchor`) and not after the run date. None when there is no such dateline, or no
    anchor: the run date's year would be invented (a 2008 page read in 2026)."""
    m = DATED_DATELINE_RE.search(text[:max_chars])
    if m is None or anchor is None:
        return None
    month = MONTHS.get((m.group("m1") or m.group("m2"))[:3].lower())
    day = int(m.group("d1") or m.group("d2"))
    if month is None or not 1 <= day <= 31:
        return None
    for year in (anchor.year, anchor.year + 1):
        try:
            d = date(year, month, day)
        except ValueError:
            return None
        if anchor <= d <= run_date:
            return d
    return None


YEAR_TEXT_RE = re.compile(r"\b[12]\d{3}\b")
YEARLESS_RE = re.compile(r"(?i)^(?:(?:early|late|mid)[ -])?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?)?$|^\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?$")


def _anchor(dates: Sequence[DateMention], run_date: date) -> date | None:
    got = [d.date for d in dates if d.precision in ("day", "month") and YEAR_TEXT_RE.search(d.text) and d.date <= run_date]
    return max(got, default=None)


def _valid_day(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
    except ValueError:
        return False
    return True


def document_anchor(text: str, run_date: date) -> date | None:
    """The latest explicit day- or month-precision date in `text` not after the run date (its year
    written: "Dec. 28, 2007", "January 2008"): the document's own evidence of when it was written.
    A bare year is none ("by 2012", "the 2018 World Cup" in a 2008 story). None when the text writes
    no such date."""
    return _anchor(find_dates(text, run_date, reference_is_publication=False), run_date)


def undated_page_dates(dates: Sequence[DateMention], run_date: date) -> list[DateMention]:
    """The date mentions of a page with no publication date that can date an event: those that
    write their year ("March 4, 2008", "in 2007", "that year" after one), and yearless month days
    and months ("on March 4", "in October") put in the year of the document's own latest explicit
    date (`document_anchor`: the occurrence nearest it, not after the run date: "touched down on
    June 22" in a story of "August 28, 2007" is 2007-06-22). The others
    ("Tuesday", "last month", "tonight", a yearless date in a text with no explicit date) would be
    resolved against the run date, i.e. invented: left out. A day named with its weekday
    ("Tuesday, 13 January") is kept: the weekday tells the year."""
    anchor = _anchor(dates, run_date)
    out = []
    for d in dates:
        if YEAR_TEXT_RE.search(d.text) or (d.precision == "year" and "year_from_document" in d.flags):
            out.append(d)
        elif d.precision == "day" and "weekday_year" in d.flags:
            # "Tuesday, 13 January": the weekday names the year, among the ones it fits the one
            # nearest the document's own dates (else, as `find_dates` chose, nearest the run date)
            fits = [g for y in range(anchor.year - 1, anchor.year + 2) if _valid_day(y, d.date.month, d.date.day) and (g := date(y, d.date.month, d.date.day)).weekday() == d.date.weekday() and g <= run_date] if anchor else []
            out.append(replace(d, value=fits[0].isoformat(), after_reference=False) if fits else d)
        elif anchor is not None and d.precision in ("day", "month") and YEARLESS_RE.match(d.text.strip()):
            m, day = d.date.month, (d.date.day if d.precision == "day" else 1)
            low = anchor if d.precision == "day" else anchor.replace(day=1)
            near = [got for y in (anchor.year - 1, anchor.year, anchor.year + 1) if _valid_day(y, m, day) and (got := date(y, m, day)) <= run_date]
            if near:
                got = min(near, key=lambda g: (abs((g - low).days), g < low))
                value = got.isoformat() if d.precision == "day" else got.isoformat()[:7]
                out.append(replace(d, value=value, confidence=min(d.confidence, 0.75), flags=tuple(dict.fromkeys((*d.flags, "year_from_document"))), after_reference=False))
    return out


# --- rows for the warehouse --------------------------------------------------------------------


def _actor_dict(a: Actor) -> dict:
    return {"name": a.name, "kind": a.kind, "role": a.role, "country": a.country, "sector": a.sector, "aliases": list(a.aliases)}


def _actor_from(d: dict | None) -> Actor | None:
    if d is None:
        return None
    return Actor(d["name"], d["kind"], d.get("role") or "participant", country=d.get("country"), sector=d.get("sector"), aliases=tuple(d.get("aliases") or ()))


def event_row(e: Event, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {
        "event_id": e.event_id,
        "event_type": e.event_type,
        "cameo_code": e.cameo_code,
        "mode": e.mode,
        "event_date": e.event_date,
        "date_precision": e.date_precision,
        "date_text": e.date_text,
        "planned": e.planned,
        "source_actor": _actor_dict(e.source) if e.source else None,
        "target_actor": _actor_dict(e.target) if e.target else None,
        "actors": [_actor_dict(a) for a in e.actors],
        "location": e.location,
        "location_country": e.location_country,
        "summary": e.summary,
        "doc_ids": list(e.doc_ids),
        "n_sources": e.n_sources,
        "confidence": float(e.confidence),
        "run_id": run_id,
    }
    row["record_hash"] = record_hash(row)
    return row


def event_from_row(row: dict) -> Event:
    return Event(
        event_id=row["event_id"],
        event_type=row["event_type"],
        event_date=row["event_date"],
        date_precision=row["date_precision"],
        date_text=row["date_text"] or "",
        planned=row["planned"],
        actors=tuple(_actor_from(a) for a in row["actors"]),
        location=row["location"],
        summary=row["summary"],
        doc_ids=tuple(row["doc_ids"]),
        n_sources=row["n_sources"],
        confidence=row["confidence"],
        mode=row.get("mode") or ("planned" if row["planned"] else "actual"),
        cameo_code=row.get("cameo_code"),
        source=_actor_from(row.get("source_actor")),
        target=_actor_from(row.get("target_actor")),
        location_country=row.get("location_country"),
    )


def mention_row(m: Mention, event_id: str, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {
        "event_id": event_id,
        "doc_id": m.doc_id,
        "sentence": m.sentence,
        "char_start": m.char_start,
        "char_end": m.char_end,
        "trigger": m.trigger,
        "trigger_start": m.trigger_start,
        "mode": m.mode,
        "is_main": m.is_main,
        "confidence": float(m.confidence),
        "run_id": run_id,
    }
    row["record_hash"] = record_hash(row)
    return row
