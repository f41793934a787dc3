package synth

// England's NHS geography: the seven NHS England regions, the 42 integrated care boards
// with their ODS codes and resident populations, and the postcode districts their GP
// practices are given. Sources and caveats are in docs/SEED.md.

type region struct {
	ods, name string
	letters   string // first letters of its practices' ODS codes
}

var regions = []region{
	{"Y56", "London", "EF"},
	{"Y58", "South West", "LJ"},
	{"Y59", "South East", "GH"},
	{"Y60", "Midlands", "CM"},
	{"Y61", "East of England", "DK"},
	{"Y62", "North West", "NP"},
	{"Y63", "North East and Yorkshire", "AB"},
}

const (
	london = iota
	southWest
	southEast
	midlands
	eastOfEngland
	northWest
	northEastYorkshire
)

// postArea is a run of postcode districts (area + number lo..hi) and their post town.
type postArea struct {
	area   string
	lo, hi int
	town   string
}

type icb struct {
	ods, name string
	region    int
	pop       int // residents, thousands: ONS mid-2022 estimates summed over the ICB's local authorities
	areas     []postArea
}

var icbs = []icb{
	{"QMF", "NHS North East London Integrated Care Board", london, 2020, []postArea{{"E", 1, 18, "London"}, {"IG", 1, 11, "Ilford"}, {"RM", 1, 14, "Romford"}}},
	{"QMJ", "NHS North Central London Integrated Care Board", london, 1420, []postArea{{"N", 1, 22, "London"}, {"NW", 1, 11, "London"}, {"EN", 1, 5, "Enfield"}}},
	{"QRV", "NHS North West London Integrated Care Board", london, 2110, []postArea{{"W", 1, 14, "London"}, {"HA", 0, 9, "Harrow"}, {"UB", 1, 11, "Uxbridge"}, {"TW", 3, 7, "Hounslow"}}},
	{"QKK", "NHS South East London Integrated Care Board", london, 1800, []postArea{{"SE", 1, 28, "London"}, {"BR", 1, 8, "Bromley"}, {"DA", 5, 8, "Bexleyheath"}}},
	{"QWE", "NHS South West London Integrated Care Board", london, 1516, []postArea{{"SW", 1, 20, "London"}, {"CR", 0, 8, "Croydon"}, {"SM", 1, 7, "Sutton"}, {"KT", 1, 6, "Kingston upon Thames"}, {"TW", 9, 12, "Richmond"}}},

	{"QT6", "NHS Cornwall and the Isles of Scilly Integrated Care Board", southWest, 574, []postArea{{"TR", 1, 27, "Truro"}, {"PL", 10, 35, "Bodmin"}}},
	{"QJK", "NHS Devon Integrated Care Board", southWest, 1224, []postArea{{"EX", 1, 39, "Exeter"}, {"PL", 1, 9, "Plymouth"}, {"TQ", 1, 14, "Torquay"}}},
	{"QSL", "NHS Somerset Integrated Care Board", southWest, 576, []postArea{{"TA", 1, 24, "Taunton"}, {"BA", 4, 11, "Wells"}}},
	{"QUY", "NHS Bristol, North Somerset and South Gloucestershire Integrated Care Board", southWest, 984, []postArea{{"BS", 1, 49, "Bristol"}}},
	{"QOX", "NHS Bath and North East Somerset, Swindon and Wiltshire Integrated Care Board", southWest, 943, []postArea{{"BA", 1, 3, "Bath"}, {"SN", 1, 16, "Swindon"}, {"SP", 1, 5, "Salisbury"}}},
	{"QR1", "NHS Gloucestershire Integrated Care Board", southWest, 646, []postArea{{"GL", 1, 56, "Gloucester"}}},
	{"QVV", "NHS Dorset Integrated Care Board", southWest, 782, []postArea{{"BH", 1, 31, "Bournemouth"}, {"DT", 1, 11, "Dorchester"}}},

	{"QU9", "NHS Buckinghamshire, Oxfordshire and Berkshire West Integrated Care Board", southEast, 1803, []postArea{{"OX", 1, 49, "Oxford"}, {"HP", 5, 27, "Aylesbury"}, {"RG", 1, 10, "Reading"}, {"RG", 30, 45, "Reading"}}},
	{"QNQ", "NHS Frimley Integrated Care Board", southEast, 800, []postArea{{"GU", 11, 17, "Camberley"}, {"SL", 1, 6, "Slough"}, {"RG", 12, 12, "Bracknell"}}},
	{"QXU", "NHS Surrey Heartlands Integrated Care Board", southEast, 1100, []postArea{{"GU", 1, 10, "Guildford"}, {"KT", 7, 24, "Epsom"}, {"RH", 1, 9, "Redhill"}}},
	{"QNX", "NHS Sussex Integrated Care Board", southEast, 1715, []postArea{{"BN", 1, 45, "Brighton"}, {"RH", 10, 20, "Crawley"}, {"TN", 31, 40, "Hastings"}, {"PO", 18, 22, "Chichester"}}},
	{"QKS", "NHS Kent and Medway Integrated Care Board", southEast, 1871, []postArea{{"ME", 1, 20, "Maidstone"}, {"CT", 1, 21, "Canterbury"}, {"TN", 1, 30, "Tunbridge Wells"}, {"DA", 1, 4, "Dartford"}}},
	{"QRL", "NHS Hampshire and Isle of Wight Integrated Care Board", southEast, 1803, []postArea{{"SO", 14, 53, "Southampton"}, {"PO", 1, 17, "Portsmouth"}, {"PO", 30, 41, "Newport"}, {"RG", 21, 29, "Basingstoke"}}},

	{"QHL", "NHS Birmingham and Solihull Integrated Care Board", midlands, 1375, []postArea{{"B", 1, 48, "Birmingham"}, {"B", 90, 94, "Solihull"}}},
	{"QUA", "NHS Black Country Integrated Care Board", midlands, 1219, []postArea{{"WV", 1, 14, "Wolverhampton"}, {"DY", 1, 9, "Dudley"}, {"WS", 1, 10, "Walsall"}, {"B", 64, 71, "West Bromwich"}}},
	{"QWU", "NHS Coventry and Warwickshire Integrated Care Board", midlands, 949, []postArea{{"CV", 1, 37, "Coventry"}}},
	{"QGH", "NHS Herefordshire and Worcestershire Integrated Care Board", midlands, 794, []postArea{{"HR", 1, 9, "Hereford"}, {"WR", 1, 15, "Worcester"}, {"DY", 10, 14, "Kidderminster"}}},
	{"QOC", "NHS Shropshire, Telford and Wrekin Integrated Care Board", midlands, 512, []postArea{{"SY", 1, 13, "Shrewsbury"}, {"TF", 1, 13, "Telford"}}},
	{"QNC", "NHS Staffordshire and Stoke-on-Trent Integrated Care Board", midlands, 1140, []postArea{{"ST", 1, 21, "Stoke-on-Trent"}, {"WS", 11, 15, "Cannock"}, {"DE", 13, 15, "Burton-on-Trent"}}},
	{"QJ2", "NHS Derby and Derbyshire Integrated Care Board", midlands, 1063, []postArea{{"DE", 1, 24, "Derby"}, {"S", 40, 45, "Chesterfield"}, {"SK", 13, 23, "Buxton"}}},
	{"QJM", "NHS Lincolnshire Integrated Care Board", midlands, 773, []postArea{{"LN", 1, 13, "Lincoln"}, {"PE", 20, 25, "Boston"}, {"NG", 31, 34, "Grantham"}}},
	{"QK1", "NHS Leicester, Leicestershire and Rutland Integrated Care Board", midlands, 1131, []postArea{{"LE", 1, 67, "Leicester"}}},
	{"QPM", "NHS Northamptonshire Integrated Care Board", midlands, 795, []postArea{{"NN", 1, 18, "Northampton"}}},
	{"QT1", "NHS Nottingham and Nottinghamshire Integrated Care Board", midlands, 1154, []postArea{{"NG", 1, 25, "Nottingham"}, {"S", 80, 81, "Worksop"}}},

	{"QHG", "NHS Bedfordshire, Luton and Milton Keynes Integrated Care Board", eastOfEngland, 1008, []postArea{{"MK", 1, 19, "Milton Keynes"}, {"MK", 40, 45, "Bedford"}, {"LU", 1, 7, "Luton"}, {"SG", 15, 19, "Biggleswade"}}},
	{"QUE", "NHS Cambridgeshire and Peterborough Integrated Care Board", eastOfEngland, 904, []postArea{{"CB", 1, 25, "Cambridge"}, {"PE", 1, 8, "Peterborough"}, {"PE", 13, 16, "Wisbech"}, {"PE", 26, 29, "Huntingdon"}}},
	{"QM7", "NHS Hertfordshire and West Essex Integrated Care Board", eastOfEngland, 1521, []postArea{{"AL", 1, 10, "St Albans"}, {"SG", 1, 14, "Stevenage"}, {"WD", 3, 25, "Watford"}, {"EN", 6, 11, "Hoddesdon"}, {"CM", 16, 24, "Harlow"}, {"HP", 1, 4, "Hemel Hempstead"}}},
	{"QH8", "NHS Mid and South Essex Integrated Care Board", eastOfEngland, 1204, []postArea{{"SS", 0, 17, "Southend-on-Sea"}, {"RM", 15, 20, "Grays"}, {"CM", 0, 12, "Chelmsford"}}},
	{"QMM", "NHS Norfolk and Waveney Integrated Care Board", eastOfEngland, 1041, []postArea{{"NR", 1, 35, "Norwich"}, {"PE", 30, 38, "King's Lynn"}}},
	{"QJG", "NHS Suffolk and North East Essex Integrated Care Board", eastOfEngland, 999, []postArea{{"IP", 1, 33, "Ipswich"}, {"CO", 1, 16, "Colchester"}}},

	{"QE1", "NHS Lancashire and South Cumbria Integrated Care Board", northWest, 1703, []postArea{{"PR", 1, 26, "Preston"}, {"BB", 1, 12, "Blackburn"}, {"FY", 1, 8, "Blackpool"}, {"LA", 1, 23, "Lancaster"}}},
	{"QOP", "NHS Greater Manchester Integrated Care Board", northWest, 2911, []postArea{{"M", 1, 50, "Manchester"}, {"BL", 0, 9, "Bolton"}, {"OL", 1, 16, "Oldham"}, {"SK", 1, 16, "Stockport"}, {"WN", 1, 8, "Wigan"}}},
	{"QYG", "NHS Cheshire and Merseyside Integrated Care Board", northWest, 2533, []postArea{{"L", 1, 40, "Liverpool"}, {"CH", 41, 66, "Wirral"}, {"CH", 1, 8, "Chester"}, {"CW", 1, 12, "Crewe"}, {"WA", 1, 16, "Warrington"}}},

	{"QHM", "NHS North East and North Cumbria Integrated Care Board", northEastYorkshire, 3013, []postArea{{"NE", 1, 66, "Newcastle upon Tyne"}, {"SR", 1, 8, "Sunderland"}, {"DH", 1, 9, "Durham"}, {"TS", 1, 29, "Middlesbrough"}, {"DL", 1, 17, "Darlington"}, {"CA", 1, 28, "Carlisle"}}},
	{"QOQ", "NHS Humber and North Yorkshire Integrated Care Board", northEastYorkshire, 1701, []postArea{{"HU", 1, 20, "Hull"}, {"YO", 1, 62, "York"}, {"DN", 15, 21, "Scunthorpe"}, {"DN", 31, 37, "Grimsby"}, {"HG", 1, 5, "Harrogate"}}},
	{"QF7", "NHS South Yorkshire Integrated Care Board", northEastYorkshire, 1390, []postArea{{"S", 1, 36, "Sheffield"}, {"S", 60, 66, "Rotherham"}, {"S", 70, 75, "Barnsley"}, {"DN", 1, 12, "Doncaster"}}},
	{"QWO", "NHS West Yorkshire Integrated Care Board", northEastYorkshire, 2435, []postArea{{"LS", 1, 29, "Leeds"}, {"BD", 1, 24, "Bradford"}, {"HX", 1, 7, "Halifax"}, {"HD", 1, 9, "Huddersfield"}, {"WF", 1, 17, "Wakefield"}}},
}

// Practice names are a place-like word and a kind of practice.
var (
	practiceFirst = []string{
		"Riverside", "Park View", "Oakwood", "The Grange", "Market Street", "Church Lane", "Victoria",
		"Beech House", "Elm Tree", "Ashfield", "Highfield", "Meadowbank", "Brookside", "Castle",
		"Abbey", "Station Road", "Willow", "Orchard", "Springfield", "Woodlands", "Hillside",
		"Northgate", "Southgate", "Westgate", "Eastgate", "Queens Road", "Kings Road", "Millbrook",
		"Cedar", "Beacon", "Bridge Street", "Greenfield", "Lakeside", "Fairfield", "Priory",
		"St Mary's", "St John's", "Valley", "Heathside", "Moorland", "Parkside", "Rosemount",
	}
	practiceKind = []string{"Surgery", "Medical Centre", "Health Centre", "Medical Practice", "Family Practice", "Surgery"}
	streets      = []string{
		"High Street", "Station Road", "Church Lane", "Main Street", "Park Road", "Victoria Road",
		"Green Lane", "Manor Road", "Church Street", "Park Avenue", "Queens Road", "New Road",
		"Grange Road", "Kings Road", "Albert Road", "Mill Lane", "School Lane", "The Crescent",
		"North Street", "York Road", "Springfield Road", "Highfield Road", "Chester Road", "Orchard Close",
		"Windsor Road", "The Avenue", "Cromwell Road", "St John's Road", "Meadow Way", "Beech Grove",
	}
)

// inwardLetters are the letters a postcode's last two characters may take (never C, I,
// K, M, O or V).
const inwardLetters = "ABDEFGHJLNPQRSTUWXYZ"
