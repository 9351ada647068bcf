"""Word lists for the synthetic force: names, nicknames, places, incident types, offences.

All values are invented or generic; none describes a real person or address.
Lists are ordered by rough frequency, and samplers weight earlier entries more.
"""

from __future__ import annotations

# Word lists laid out by hand, several values a line: not reformatted one value per line.
# fmt: off
MALE_FORENAMES = (
    "James", "John", "David", "Michael", "Robert", "William", "Thomas", "Daniel", "Mohammed", "Christopher",
    "Paul", "Mark", "Andrew", "Richard", "Matthew", "Joseph", "Anthony", "Stephen", "Jack", "Harry",
    "Oliver", "George", "Samuel", "Benjamin", "Jonathan", "Nicholas", "Edward", "Peter", "Muhammad", "Ryan",
    "Jamie", "Liam", "Connor", "Kyle", "Lewis", "Adam", "Ali", "Imran", "Adnan", "Bilal",
    "Hamza", "Usman", "Amir", "Harpreet", "Gurpreet", "Jaspal", "Sukhdeep", "Rajinder", "Arjun", "Ravi",
    "Kwame", "Kofi", "Tyrone", "Jerome", "Delroy", "Marcus", "Leon", "Wayne", "Dean", "Craig",
    "Gary", "Kevin", "Lee", "Scott", "Carl", "Shane", "Brandon", "Callum", "Tyler", "Reece",
    "Alexander", "Charlie", "Alfie", "Noah", "Ethan", "Mason", "Logan", "Kieran", "Declan", "Patrick",
    "Sean", "Seán", "Ciarán", "Piotr", "Łukasz", "Tomasz", "Marek", "Andrei", "Bogdan", "Mihai",
    "José", "André", "Luca", "Ahmed", "Yusuf", "Ibrahim", "Abdul", "Tariq", "Zain", "Ayaan",
)

FEMALE_FORENAMES = (
    "Sarah", "Emma", "Laura", "Rebecca", "Elizabeth", "Jennifer", "Jessica", "Katherine", "Victoria", "Samantha",
    "Hannah", "Charlotte", "Amy", "Lucy", "Sophie", "Emily", "Chloe", "Olivia", "Amelia", "Isla",
    "Margaret", "Susan", "Patricia", "Deborah", "Karen", "Julie", "Michelle", "Nicola", "Lisa", "Claire",
    "Kelly", "Stacey", "Leanne", "Gemma", "Danielle", "Natalie", "Jade", "Kayleigh", "Chantelle", "Shannon",
    "Fatima", "Aisha", "Ayesha", "Zainab", "Maryam", "Khadija", "Amina", "Sana", "Nadia", "Shazia",
    "Harpreet", "Gurpreet", "Manjit", "Simran", "Priya", "Sunita", "Kiran", "Parveen", "Rubina", "Yasmin",
    "Abigail", "Grace", "Ella", "Mia", "Evie", "Poppy", "Lily", "Ruby", "Freya", "Holly",
    "Tanya", "Donna", "Tracey", "Sharon", "Joanne", "Angela", "Diane", "Janet", "Pauline", "Maureen",
    "Zoë", "Chloë", "Renée", "Siobhán", "Aoife", "Niamh", "Siân", "Agnieszka", "Magdalena", "Ioana",
    "Precious", "Blessing", "Chidinma", "Abena", "Marcia", "Paulette", "Jasmine", "Keisha", "Tia", "Courtney",
)

SURNAMES = (
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Khan", "Ahmed", "Hussain", "Ali", "Begum", "Singh", "Kaur", "Patel", "Akhtar", "Iqbal",
    "Mahmood", "Rahman", "Islam", "Shah", "Bibi", "Sharma", "Sandhu", "Gill", "Dhillon", "Bains",
    "Lewis", "Harris", "Clarke", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill", "Ward",
    "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "James",
    "Scott", "Phillips", "Watson", "Davis", "Parker", "Price", "Bennett", "Young", "Griffiths", "Mitchell",
    "Kelly", "Cook", "Carter", "Richardson", "Bailey", "Collins", "Bell", "Shaw", "Murphy", "Miller",
    "Cox", "Richards", "Marshall", "Simpson", "Ellis", "Adams", "Wilkinson", "Foster", "Webb", "Chapman",
    "Campbell", "Mason", "Powell", "Hunt", "Holmes", "Palmer", "Mills", "Barnes", "Knight", "Lloyd",
    "Butler", "Russell", "Barker", "Fisher", "Stevens", "Jenkins", "Dixon", "Fletcher", "Owen", "Reid",
    "O'Brien", "O'Connor", "O'Neill", "O'Sullivan", "McDonald", "McCarthy", "McKenzie", "MacLeod", "Doherty",
    "Gallagher",
    "Nowak", "Kowalski", "Wiśniewski", "Lewandowski", "Popescu", "Ionescu", "Müller", "Schäfer", "Ó Briain",
    "Mac Giolla",
    "Okafor", "Mensah", "Boateng", "Adeyemi", "Osei", "Campbell-Brown", "Francis", "Bryan", "Grant", "Samuels",
)

#: Formal forename -> nicknames people give or call-takers type instead.
NICKNAMES = {
    "Robert": ("Bob", "Rob", "Bobby", "Robbie"),
    "William": ("Bill", "Will", "Billy", "Liam"),
    "Elizabeth": ("Liz", "Beth", "Lizzie", "Betty"),
    "Margaret": ("Maggie", "Peggy", "Meg"),
    "Katherine": ("Kate", "Katie", "Kathy", "Kath"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "John": ("Jack", "Johnny"),
    "Michael": ("Mike", "Mick", "Micky"),
    "Richard": ("Rich", "Rick", "Dick"),
    "Anthony": ("Tony", "Ant"),
    "Christopher": ("Chris", "Kit"),
    "Thomas": ("Tom", "Tommy"),
    "Daniel": ("Dan", "Danny"),
    "Jennifer": ("Jen", "Jenny"),
    "Rebecca": ("Becky", "Becca"),
    "Samantha": ("Sam", "Sammy"),
    "Alexander": ("Alex", "Al"),
    "Jonathan": ("Jon", "Jonny"),
    "Matthew": ("Matt",),
    "Nicholas": ("Nick", "Nicky"),
    "Joseph": ("Joe", "Joey"),
    "Edward": ("Ed", "Eddie", "Ted"),
    "Victoria": ("Vicky", "Tori"),
    "Jessica": ("Jess", "Jessie"),
    "Stephen": ("Steve", "Stevie"),
    "Patricia": ("Pat", "Tricia", "Trish"),
    "Susan": ("Sue", "Susie"),
    "Deborah": ("Debbie", "Debs"),
    "Charlotte": ("Charlie", "Lottie"),
    "Abigail": ("Abbie", "Abby"),
    "Benjamin": ("Ben", "Benny"),
    "Samuel": ("Sam", "Sammy"),
    "Andrew": ("Andy", "Drew"),
    "David": ("Dave", "Davey"),
    "Peter": ("Pete",),
    "Nicola": ("Nicky", "Nic"),
    "Danielle": ("Dani",),
    "Mohammed": ("Mo", "Mohammad", "Muhammad"),
    "Muhammad": ("Mo", "Mohammed"),
    "Patrick": ("Pat", "Paddy"),
    "Natalie": ("Nat",),
    "Harry": ("Harold", "Haz"),
    "Kayleigh": ("Kay", "Kaylee"),
    "Joanne": ("Jo", "Joanna"),
    "Gurpreet": ("Preet", "Gary"),
    "Jaspal": ("Jas",),
    "Sukhdeep": ("Sukhi", "Deep"),
}

LPAS = ("BIRMINGHAM", "COVENTRY", "DUDLEY", "SANDWELL", "SOLIHULL", "WALSALL", "WOLVERHAMPTON")
#: Share of the population living in each LPA (roughly by resident population).
LPA_WEIGHTS = (0.39, 0.13, 0.11, 0.11, 0.075, 0.095, 0.09)
#: Postcode districts per LPA.
POSTCODE_DISTRICTS = {
    "BIRMINGHAM": ("B1", "B5", "B6", "B7", "B8", "B9", "B10", "B11", "B12", "B13", "B14", "B16", "B17", "B18",
                   "B19", "B20", "B21", "B23", "B24", "B26", "B27", "B28", "B29", "B30", "B31", "B32", "B33",
                   "B34", "B35", "B36", "B38", "B42", "B44"),
    "COVENTRY": ("CV1", "CV2", "CV3", "CV4", "CV5", "CV6"),
    "DUDLEY": ("DY1", "DY2", "DY3", "DY5", "DY6", "DY8", "DY9", "B62", "B63"),
    "SANDWELL": ("B64", "B65", "B66", "B67", "B68", "B69", "B70", "B71", "WS10"),
    "SOLIHULL": ("B37", "B90", "B91", "B92", "B93", "B94", "CV7"),
    "WALSALL": ("WS1", "WS2", "WS3", "WS4", "WS5", "WS8", "WS9"),
    "WOLVERHAMPTON": ("WV1", "WV2", "WV3", "WV4", "WV6", "WV10", "WV11", "WV14"),
}
LPA_CODES = {"BIRMINGHAM": "B", "COVENTRY": "C", "DUDLEY": "D", "SANDWELL": "S", "SOLIHULL": "L", "WALSALL": "W",
    "WOLVERHAMPTON": "V"}
#: Area codes for landlines per LPA.
LANDLINE_PREFIX = {
    "BIRMINGHAM": "0121", "COVENTRY": "02476", "DUDLEY": "01384", "SANDWELL": "0121",
    "SOLIHULL": "0121", "WALSALL": "01922", "WOLVERHAMPTON": "01902",
}

STREET_STEMS = (
    "Church", "Station", "Park", "Victoria", "Albert", "Chestnut", "Oak", "Beech", "Willow", "Elm",
    "Mill", "Manor", "Queens", "Kings", "Highfield", "Springfield", "Grange", "Windsor", "Stratford", "Coventry",
    "Warwick", "Birchfield", "Hollyhead", "Ladypool", "Soho", "Dudley", "Bearwood", "Rookery", "Pershore", "Alcester",
    "Tamworth", "Walsall", "Lichfield", "Wolverhampton", "Hagley", "Bristol", "Moseley", "Bordesley", "Cannon",
    "Foleshill",
    "Stoney", "Holyhead", "Penn", "Tettenhall", "Bloxwich", "Darlaston", "Tipton", "Oldbury", "Rowley", "Halesowen",
    "Sutton", "Kingstanding", "Erdington", "Shard End", "Chelmsley", "Fordbridge", "Hobs Moat", "Lode", "Tile Hill",
    "Radford",
)
STREET_SUFFIXES = ("Road", "Street", "Avenue", "Close", "Lane", "Drive", "Grove", "Way", "Crescent", "Court")
PUBLIC_PLACES = (
    "Bus station", "Railway station", "Retail park", "Shopping centre", "High Street", "Park", "Canal towpath",
    "Hospital A&E", "Supermarket car park", "Leisure centre", "Library", "Tram stop", "Petrol station", "Pub car park",
)

#: Incident types by demand driver (ControlWorks opening classification).
INCIDENT_TYPES = {
    "caller": ("CONCERN FOR SAFETY", "ASB", "SUSPICIOUS CIRCUMSTANCES", "NEIGHBOUR DISPUTE", "HARASSMENT",
               "MENTAL HEALTH", "ABANDONED CALL", "ADVICE", "NOISE", "THREATS"),
    "victim": ("DOMESTIC INCIDENT", "ASSAULT", "HARASSMENT", "CONCERN FOR SAFETY", "THREATS", "BREACH OF ORDER",
               "CRIMINAL DAMAGE", "DOMESTIC INCIDENT"),
    "offender": ("SUSPICIOUS CIRCUMSTANCES", "ASSAULT", "THEFT", "SHOPLIFTING", "BURGLARY", "ROBBERY",
                 "DOMESTIC INCIDENT", "WANTED PERSON", "PUBLIC ORDER", "WEAPONS", "DRUGS"),
    "missing": ("MISSING PERSON", "MISSING PERSON", "CONCERN FOR SAFETY", "ABSCONDER", "CHILD PROTECTION"),
    "background": ("ASB", "CONCERN FOR SAFETY", "SUSPICIOUS CIRCUMSTANCES", "THEFT", "ROAD TRAFFIC COLLISION",
                   "DOMESTIC INCIDENT", "ASSAULT", "BURGLARY", "CRIMINAL DAMAGE", "NOISE", "ADVICE", "HARASSMENT",
                   "MENTAL HEALTH", "ALARM ACTIVATION", "HIGHWAY DISRUPTION", "ABANDONED CALL", "SUDDEN DEATH",
                   "MISSING PERSON", "VEHICLE CRIME", "FRAUD"),
    "preplanned": ("PRE-PLANNED EVENT", "PRE-PLANNED OPERATION", "WARRANT EXECUTION", "FOOTBALL MATCH", "PUBLIC EVENT"),
}

#: Offence codes the generator draws, per kind of investigation, with weights.
OFFENCE_MIX = {
    "background": {
        "105A": 14, "8N": 10, "8L": 6, "8R": 5, "8U": 2, "9A": 5, "58A": 3, "58C": 4, "58D": 3, "46": 8,
        "49": 6, "45": 4, "48": 2, "28E": 4, "28F": 1, "30C": 2, "39": 1.5, "40": 1, "34B": 1.5, "34A": 0.3,
        "92D": 2, "92E": 2.5, "92A": 0.8, "10D": 1.2, "10C": 0.4, "10A": 0.05, "3B": 1, "5D": 0.6, "8Q": 1,
        "8P": 0.3, "9B": 0.5, "104": 0.8, "11A": 0.5, "19C": 0.6, "20A": 1, "22B": 0.4, "54": 0.4, "56A": 0.1,
        "56B": 0.3, "62A": 0.1, "1": 0.02,
        "NC01": 6, "NC02": 4, "NC03": 1, "NC04": 2, "NC05": 3, "NC06": 0.8, "NC07": 0.5,
    },
    "victim": {"105A": 8, "8N": 8, "8U": 4, "8L": 4, "8Q": 2, "8R": 2, "3B": 1.5, "58A": 2, "NC01": 6, "20A": 0.6,
               "19C": 0.4, "40": 0.6, "34B": 0.3, "NC02": 1},
    "offender": {"46": 10, "105A": 7, "8N": 6, "58D": 3, "58C": 2, "92D": 4, "92E": 2, "28E": 3, "34B": 1.5, "10D": 1.5,
                 "49": 3, "48": 2, "9A": 3, "104": 2, "8L": 1.5, "5D": 0.5, "92A": 0.8, "45": 2, "54": 0.6},
    "caller": {"NC02": 4, "NC05": 3, "8L": 2, "8R": 2, "9A": 1, "58A": 1, "105A": 1, "NC06": 0.5},
    "missing": {"NC03": 4, "NC04": 2, "22B": 0.6, "11A": 0.5, "20A": 0.3, "105A": 0.8, "46": 0.8},
}
#: A code the generator emits rarely that is deliberately absent from the CCHI table,
#: so that "offence codes with no harm value count 0 and are reported" is exercised.
UNKNOWN_HARM_CODE = ("99X", "Offence awaiting reclassification", "MISCELLANEOUS CRIMES AGAINST SOCIETY")
UNKNOWN_HARM_RATE = 0.002

#: Offence codes whose victim is a business or society rather than a person.
NO_PERSON_VICTIM = frozenset({"46", "30C", "34A", "92A", "92D", "92E", "10A", "10C", "10D", "62A", "58B", "NC05"})

ARREST_REASONS = ("ASSAULT", "THEFT", "DOMESTIC ASSAULT", "BREACH OF BAIL", "WANTED ON WARRANT", "DRUGS POSSESSION",
                  "PUBLIC ORDER", "CRIMINAL DAMAGE", "BURGLARY", "ROBBERY", "POSSESSION OF WEAPON", "HARASSMENT",
                  "BREACH OF ORDER", "DRUNK AND DISORDERLY", "FAIL TO APPEAR")
FILE_TYPES = ("ANTICIPATED GUILTY PLEA", "ANTICIPATED NOT GUILTY PLEA", "EXPEDITED", "REMAND", "NONE")
CUSTODY_SUITES = ("PERRY BARR", "OLDBURY", "COVENTRY", "WOLVERHAMPTON", "BOURNVILLE LANE", "WALSALL")

RESOURCE_GROUP_CODES = {"RESPONSE": "RV", "NEIGHBOURHOOD": "NH", "CID": "CD", "TRAFFIC": "TR", "DOGS": "DG",
                        "FIREARMS": "FA", "OTHER": "OT"}

#: Short synthetic summary fragments by investigation theme.
SUMMARY_TEMPLATES = {
    "DA": ("Victim reports assault by partner at home address; domestic.",
           "Ongoing domestic abuse by ex-partner, coercive and controlling behaviour reported.",
           "Verbal argument between partners escalated; domestic incident.",
           "Victim states ex-partner attended address in breach of order."),
    "MH": ("Male in mental health crisis threatening self harm.",
           "Female expressing suicidal thoughts; concern for welfare, mental health team informed.",
           "Person detained under section 136 after crisis on bridge.",
           "Caller reports neighbour in crisis, possible self-harm."),
    "CSE": ("Concerns of child sexual exploitation; young person found with older males.",
            "Grooming concerns raised by school; referral made."),
    "CA": ("Child neglect concerns reported by school.",
           "Child abuse allegation against parent; strategy meeting arranged."),
    "MISSING": ("Young person missing from care home overnight.",
                "Missing from home after argument; returned next day."),
    "GENERAL": ("Offender left store without paying for goods.",
                "Victim's vehicle damaged overnight.",
                "Suspect seen forcing entry to property.",
                "Altercation outside licensed premises.",
                "Anti-social behaviour by group of youths.",
                "Victim threatened in the street, phone taken.",
                "Suspect found in possession of a knife.",
                "Abusive messages received via social media."),
}
# fmt: on
