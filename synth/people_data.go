package synth

// Who lives in England: the age-sex pyramid and the ethnic groups. Sources in
// docs/SEED.md.

// pyramid is England's resident population by five-year age band (0-4 … 85-89, then
// 90 and over), thousands, males and females: ONS mid-2022 estimates, rounded to ten
// thousand.
var pyramid = [19][2]float64{
	{1600, 1522}, {1740, 1657}, {1790, 1702}, {1660, 1571}, {1790, 1722},
	{1870, 1880}, {1950, 2000}, {1900, 1950}, {1780, 1810}, {1700, 1740},
	{1880, 1940}, {1890, 1950}, {1640, 1710}, {1380, 1470}, {1270, 1380},
	{1030, 1170}, {660, 820}, {360, 510}, {160, 320},
}

// ethnicity is one NHS Data Dictionary ETHNIC CATEGORY with its share (per cent of usual
// residents, Census 2021, table TS021) in England and in London, and the pool of names
// people of the group are drawn from.
type ethnicity struct {
	code, display   string
	england, london float64
	names           int
}

var ethnicities = []ethnicity{
	{"A", "White - British", 73.5, 36.8, namesBritish},
	{"B", "White - Irish", 0.9, 1.8, namesIrish},
	{"C", "White - Any other White background", 6.6, 14.9, namesEuropean},
	{"D", "Mixed - White and Black Caribbean", 0.9, 1.5, namesCaribbean},
	{"E", "Mixed - White and Black African", 0.4, 0.9, namesAfrican},
	{"F", "Mixed - White and Asian", 0.8, 1.2, namesBritish},
	{"G", "Mixed - Any other mixed background", 0.7, 2.1, namesBritish},
	{"H", "Asian or Asian British - Indian", 3.3, 7.5, namesIndian},
	{"J", "Asian or Asian British - Pakistani", 2.8, 3.3, namesPakistani},
	{"K", "Asian or Asian British - Bangladeshi", 1.1, 3.7, namesBangladeshi},
	{"L", "Asian or Asian British - Any other Asian background", 1.6, 4.6, namesOtherAsian},
	{"M", "Black or Black British - Caribbean", 1.1, 3.9, namesCaribbean},
	{"N", "Black or Black British - African", 2.6, 7.9, namesAfrican},
	{"P", "Black or Black British - Any other Black background", 0.5, 1.6, namesCaribbean},
	{"R", "Other Ethnic Groups - Chinese", 0.7, 1.7, namesChinese},
	{"S", "Other Ethnic Groups - Any other ethnic group", 2.2, 6.3, namesOther},
}

// notStated is the share of records coded Z (asked, declined). The census imputes an
// answer for everyone; a GP record does not, so a small share is set aside.
var notStated = ethnicity{"Z", "Not stated", 2.0, 2.0, namesBritish}

// The name pools.
const (
	namesBritish = iota
	namesIrish
	namesEuropean
	namesIndian
	namesPakistani
	namesBangladeshi
	namesOtherAsian
	namesCaribbean
	namesAfrican
	namesChinese
	namesOther
)

// namePool holds family names and given names by sex (0 male, 1 female).
type namePool struct {
	family []string
	given  [2][]string
}

var namePools = [...]namePool{
	namesBritish: {
		family: []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
			"Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
			"Harris", "Lewis", "Hughes", "Edwards", "Turner", "Hill", "Cooper", "Ward", "Morris", "Moore",
			"King", "Watson", "Baker", "Harrison", "Morgan", "Patterson", "Young", "Allen", "Mitchell", "Bell"},
		given: [2][]string{
			{"Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Thomas", "Oscar", "William",
				"James", "David", "John", "Paul", "Mark", "Andrew", "Richard", "Peter", "Michael", "Robert",
				"Stephen", "Christopher", "Daniel", "Matthew", "Alan", "Brian", "Kevin", "Ian", "Leo", "Arthur"},
			{"Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Lily", "Freya", "Poppy",
				"Sarah", "Emma", "Claire", "Helen", "Susan", "Margaret", "Patricia", "Karen", "Julie", "Elizabeth",
				"Jennifer", "Rachel", "Joanne", "Lisa", "Jean", "Joan", "Dorothy", "Hannah", "Chloe", "Jessica"},
		},
	},
	namesIrish: {
		family: []string{"Murphy", "Kelly", "O'Sullivan", "Walsh", "O'Brien", "Byrne", "Ryan", "O'Connor", "O'Neill", "Doyle",
			"McCarthy", "Gallagher", "Ní Bhriain", "Kennedy", "Lynch", "Quinn"},
		given: [2][]string{
			{"Sean", "Patrick", "Conor", "Liam", "Declan", "Ciarán", "Eoin", "Niall", "Padraig", "Michael"},
			{"Siobhán", "Aoife", "Niamh", "Róisín", "Mary", "Ciara", "Orla", "Sinéad", "Bridget", "Catherine"},
		},
	},
	namesEuropean: {
		family: []string{"Nowak", "Kowalski", "Wiśniewski", "Popescu", "Ionescu", "Kazlauskas", "Rossi", "Ferrari", "García", "Silva",
			"Santos", "Müller", "Schmidt", "Dubois", "Novák", "Horváth", "Papadopoulos", "Bērziņš", "Petrov", "Ivanova"},
		given: [2][]string{
			{"Piotr", "Jakub", "Andrei", "Mihai", "Tomasz", "Marco", "Luca", "João", "Pedro", "Lukas", "Jonas", "Nikolai"},
			{"Anna", "Zofia", "Maria", "Elena", "Ioana", "Agnieszka", "Giulia", "Sofia", "Ana", "Katarzyna", "Laura", "Eva"},
		},
	},
	namesIndian: {
		family: []string{"Patel", "Shah", "Sharma", "Singh", "Kumar", "Mistry", "Gupta", "Mehta", "Desai", "Joshi", "Parmar", "Chauhan"},
		given: [2][]string{
			{"Raj", "Arjun", "Rohan", "Vikram", "Sanjay", "Amit", "Harpreet", "Jaswinder", "Dev", "Krish", "Anil", "Ravi"},
			{"Priya", "Anjali", "Sunita", "Kavita", "Neha", "Pooja", "Gurpreet", "Simran", "Asha", "Meera", "Nisha", "Divya"},
		},
	},
	namesPakistani: {
		family: []string{"Khan", "Ahmed", "Hussain", "Ali", "Iqbal", "Mahmood", "Akhtar", "Rashid", "Mirza", "Butt", "Malik", "Shah"},
		given: [2][]string{
			{"Mohammed", "Muhammad", "Imran", "Asif", "Tariq", "Adnan", "Bilal", "Hamza", "Zain", "Usman", "Yusuf", "Ibrahim"},
			{"Ayesha", "Fatima", "Zainab", "Sana", "Nadia", "Samina", "Amina", "Hira", "Maryam", "Saima", "Iqra", "Noor"},
		},
	},
	namesBangladeshi: {
		family: []string{"Begum", "Miah", "Uddin", "Rahman", "Islam", "Ahmed", "Hossain", "Khatun", "Choudhury", "Ali", "Haque", "Karim"},
		given: [2][]string{
			{"Abdul", "Mohammed", "Shahid", "Rafiq", "Jamal", "Kamal", "Arif", "Faruk", "Sohel", "Rahim"},
			{"Rahima", "Nasima", "Shirin", "Ruksana", "Fahmida", "Taslima", "Jasmin", "Sumaiya", "Tahmina", "Nazia"},
		},
	},
	namesOtherAsian: {
		family: []string{"Perera", "Fernando", "Silva", "Sivakumar", "Rajapaksa", "Santos", "Reyes", "Cruz", "Nguyen", "Tran",
			"Gurung", "Thapa", "Kim", "Park", "Tanaka"},
		given: [2][]string{
			{"Nuwan", "Kasun", "Suresh", "Jose", "Mark", "Minh", "Bikash", "Ji-ho", "Hiroshi", "Ramesh"},
			{"Dilani", "Nirosha", "Maria", "Grace", "Lan", "Mai", "Sunita", "Ji-woo", "Yuki", "Thanuja"},
		},
	},
	namesCaribbean: {
		family: []string{"Campbell", "Brown", "Williams", "Thompson", "Francis", "Grant", "Clarke", "Henry", "Bailey", "Samuels",
			"Reid", "Robinson", "Edwards", "Lewis", "Richards", "Douglas"},
		given: [2][]string{
			{"Marcus", "Dwayne", "Jermaine", "Winston", "Delroy", "Tyrone", "Leon", "Andre", "Junior", "Kofi"},
			{"Marcia", "Shanice", "Donna", "Beverley", "Jasmine", "Tanisha", "Paulette", "Janice", "Kayla", "Simone"},
		},
	},
	namesAfrican: {
		family: []string{"Okafor", "Adeyemi", "Mensah", "Osei", "Mohamed", "Abdi", "Okonkwo", "Adebayo", "Asante", "Mwangi",
			"Nkosi", "Ogunleye", "Eze", "Boateng", "Hassan", "Balogun"},
		given: [2][]string{
			{"Chidi", "Oluwaseun", "Kwame", "Emmanuel", "Tunde", "Samuel", "Abdirahman", "Kofi", "Chukwuemeka", "Daniel"},
			{"Ngozi", "Adaeze", "Abena", "Blessing", "Funmilayo", "Amina", "Grace", "Chioma", "Hodan", "Esther"},
		},
	},
	namesChinese: {
		family: []string{"Chen", "Wang", "Li", "Zhang", "Liu", "Wong", "Chan", "Lam", "Cheung", "Ho", "Yang", "Zhao"},
		given: [2][]string{
			{"Wei", "Jun", "Hao", "Ming", "Kai", "Jian", "Ka-Wai", "Chun", "Yi", "Tao"},
			{"Mei", "Xin", "Ying", "Li", "Hui", "Jing", "Wing", "Yan", "Lin", "Fang"},
		},
	},
	namesOther: {
		family: []string{"Haddad", "Hassan", "Mohammed", "Saleh", "Farah", "Karimi", "Ahmadi", "Yilmaz", "Demir", "Rodríguez",
			"Gómez", "Cohen", "Levi", "Nasser", "Abbas"},
		given: [2][]string{
			{"Omar", "Ahmad", "Khalid", "Youssef", "Ali", "Mehmet", "Carlos", "Daniel", "Reza", "Sami"},
			{"Layla", "Sara", "Noura", "Leila", "Mariam", "Elif", "Lucía", "Rana", "Yasmin", "Dana"},
		},
	},
}
