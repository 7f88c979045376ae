"""Fictional names and a newsroom vocabulary for the generated relations corpus.

Every outlet, person and place here is invented. The vocabulary is shared by all generated
reports on purpose: independent reports of one story use the same words, as real ones do.
"""

PLACES = (
    "Varnholt", "Brisk Harbour", "Oskeby", "Tallowmere", "Quennick", "Dunmarrow", "Eskerfield",
    "Port Lavell", "Hollin Cross", "Marrowgate", "Vessany", "Kilbrannan", "Strathmoor", "Orlenz",
)
ORGS = (
    "the Harbour Authority", "the Regional Assembly", "the Water Board", "the Transit Commission",
    "the Northern League", "the Fisheries Council", "the Coastal Alliance", "the Grain Union",
)
FIRST = (
    "Ilsa", "Tomas", "Maren", "Odile", "Petra", "Ansel", "Corin", "Yvette", "Lorcan", "Sabine",
    "Edvin", "Rhona", "Mathis", "Greer", "Nika", "Bastian", "Liesl", "Oren", "Talia", "Gideon",
)
LAST = (
    "Varga", "Holloway", "Brennick", "Osterlund", "Quayle", "Demarest", "Fairweather", "Koskela",
    "Lindqvist", "Marchetti", "Penhallow", "Rusk", "Sandoval", "Thorne", "Ulvaeus", "Wexley",
)
ROLES = (
    "minister", "mayor", "chair", "spokeswoman", "spokesman", "director", "commissioner",
    "secretary", "leader", "chief executive", "union official", "harbour master",
)
OUTLETS = (
    "The Varnholt Courier", "Brisk Harbour Ledger", "Oskeby Evening Post", "The Quennick Wire",
    "Tallowmere Gazette", "Northern Lantern", "Coastline Daily", "The Marrowgate Record",
)
NOUNS = (
    "plan", "council", "budget", "talks", "report", "meeting", "decision", "proposal",
    "agreement", "crisis", "project", "supply", "road", "bridge", "harbour", "price", "cost",
    "threat", "risk", "change", "support", "problem", "government", "office", "policy",
    "community", "workers", "families", "residents", "officials", "ministers", "funds",
    "shortage", "repairs", "vote", "deal", "dispute", "warning", "evidence", "review",
    "services", "schools", "trade", "ferry", "pier", "station", "contract", "rules", "tax",
)
VERBS = (
    "said", "warned", "urged", "approved", "rejected", "announced", "reviewed", "increased",
    "reduced", "delayed", "planned", "expected", "started", "ended", "asked", "needed",
    "helped", "showed", "built", "closed", "opened", "changed", "supported", "criticised",
    "promised", "discussed", "confirmed", "denied", "began", "chose",
)
BASE_VERBS = (
    "end", "start", "help", "show", "build", "close", "open", "change", "support", "review",
    "increase", "reduce", "delay", "reject", "approve", "protect", "improve", "finish", "keep",
    "need", "use", "ask", "try", "stop", "raise", "cut", "meet", "hold",
)
ADJECTIVES = (
    "new", "major", "serious", "local", "public", "recent", "large", "small", "strong", "clear",
    "important", "final", "early", "late", "difficult", "significant", "big", "real", "full",
    "old", "high", "low", "long", "short", "fresh", "heavy", "free", "whole", "main", "key",
)
ADVERBS = (
    "quickly", "clearly", "already", "recently", "finally", "openly", "firmly", "largely",
    "again", "soon", "still", "often", "directly", "publicly", "seriously",
)
TIMES = (
    "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday", "at the weekend",
    "last week", "next week", "this month", "last month", "in the spring", "by the summer",
    "earlier this year", "later this year", "within days",
)
FURNITURE = (
    "Sign up to our morning newsletter for the stories that matter.",
    "Read more: all our coverage of the harbour dispute.",
    "Share this article on your favourite network.",
    "This article was updated with further comment.",
    "Comments are closed on this story.",
    "Support independent local reporting from as little as one coin a month.",
    "You have reached your free article limit for this month.",
    "Most read in the region today.",
    "Related: what the new rules mean for you.",
    "Our reporters cover every council meeting so you do not have to.",
)
