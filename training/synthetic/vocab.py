"""Word lists the generator composes names, addresses and items from.

Everything here is generic vocabulary (syllables, common words, city names, everyday goods):
company names are assembled from invented stems so no real business appears in the data, and
the combinatorics give tens of thousands of distinct suppliers, so a model cannot memorise them.
Tuples of translations are ordered like ``LANG_INDEX``.
"""

from __future__ import annotations

LANG_INDEX = {"en": 0, "es": 1, "fr": 2, "de": 3, "it": 4, "pt": 5, "nl": 6}

STEM_HEADS = (
    "Al", "Bel", "Cor", "Dar", "El", "Fen", "Gal", "Har", "Il", "Jor", "Kal", "Lor", "Mar", "Nor", "Or",
    "Pel", "Quin", "Ros", "Sal", "Tor", "Ul", "Val", "Wes", "Zan", "Bra", "Cre", "Dro", "Fla", "Gri",
    "Kre", "Pra", "Tre", "Ver", "Lum", "Ost", "Sen", "Arn", "Bor", "Cas", "Dun", "Est", "Lin", "Mon",
)  # fmt: skip
STEM_TAILS = (
    "ex", "ia", "on", "ara", "ico", "ent", "ova", "um", "is", "aro", "ena", "ix", "elo", "ant", "ica",
    "or", "una", "ado", "ine", "ek", "avo", "eto", "ria", "wick", "berg", "dal", "tech", "vista", "co",
)  # fmt: skip

INDUSTRY = {
    "en": ("Solutions", "Systems", "Logistics", "Supplies", "Trading", "Consulting", "Engineering",
           "Services", "Technologies", "Distribution", "Foods", "Print", "Media", "Partners", "Industries"),
    "es": ("Servicios", "Distribuciones", "Soluciones", "Suministros", "Ingeniería", "Comercial",
           "Consultores", "Logística", "Alimentación", "Tecnología", "Instalaciones"),
    "fr": ("Services", "Distribution", "Solutions", "Conseil", "Logistique", "Fournitures", "Ingénierie",
           "Industries", "Technologies", "Négoce", "Équipements"),
    "de": ("Logistik", "Technik", "Handel", "Systeme", "Beratung", "Bau", "Elektro", "Vertrieb",
           "Dienstleistungen", "Service", "Medien", "Maschinenbau", "Gebäudetechnik"),
    "it": ("Servizi", "Distribuzione", "Soluzioni", "Forniture", "Ingegneria", "Logistica", "Tecnologie",
           "Commerciale", "Impianti", "Consulenze"),
    "pt": ("Serviços", "Distribuição", "Soluções", "Comércio", "Engenharia", "Logística", "Tecnologia",
           "Consultoria", "Materiais", "Equipamentos"),
    "nl": ("Diensten", "Techniek", "Logistiek", "Handel", "Installaties", "Advies", "Groep", "Systemen",
           "Bouw", "Leveranties"),
}  # fmt: skip

LEGAL_FORMS = {
    "DE": ("GmbH", "GmbH", "GmbH & Co. KG", "AG", "e.K.", "UG (haftungsbeschränkt)", "KG"),
    "AT": ("GmbH", "GmbH", "AG", "KG", "OG"),
    "ES": ("S.L.", "S.L.", "S.A.", "S.L.U."),
    "FR": ("SARL", "SAS", "SAS", "SA", "EURL"),
    "BE": ("SRL", "SA", "BV", "NV", "SPRL", "BVBA"),
    "IT": ("S.r.l.", "S.r.l.", "S.p.A.", "S.n.c.", "S.a.s."),
    "PT": ("Lda.", "Lda.", "S.A.", "Unipessoal Lda."),
    "NL": ("B.V.", "B.V.", "N.V.", "V.O.F."),
    "GB": ("Ltd", "Ltd", "Limited", "PLC", "LLP"),
    "US": ("Inc.", "LLC", "Corp.", "Co."),
    "IE": ("Ltd", "Limited", "DAC", "Teoranta"),
    "MY": ("Sdn Bhd", "Sdn. Bhd.", "Berhad"),
    "SG": ("Pte Ltd", "Pte. Ltd.", "LLP"),
}

SHOP_TYPES = {
    "en": ("Market", "Café", "Bakery", "Pharmacy", "Hardware", "Deli", "Superstore", "Kitchen", "Mart"),
    "es": ("Supermercado", "Panadería", "Farmacia", "Cafetería", "Ferretería", "Frutería", "Bar"),
    "fr": ("Boulangerie", "Supermarché", "Pharmacie", "Café", "Épicerie", "Brasserie", "Bazar"),
    "de": ("Markt", "Bäckerei", "Apotheke", "Café", "Baumarkt", "Getränkemarkt", "Drogerie", "Imbiss"),
    "it": ("Supermercato", "Panificio", "Farmacia", "Bar", "Ferramenta", "Alimentari", "Trattoria"),
    "pt": ("Supermercado", "Padaria", "Farmácia", "Café", "Mercearia", "Drogaria", "Pastelaria"),
    "nl": ("Supermarkt", "Bakkerij", "Apotheek", "Café", "Bouwmarkt", "Slagerij", "Drogisterij"),
}

FIRST_NAMES = {
    "en": ("James", "Emma", "Oliver", "Sophie", "Daniel", "Grace", "Aaron", "Chloe", "Ryan", "Mei", "Arjun"),
    "es": ("Javier", "Lucía", "Carlos", "María", "Pablo", "Elena", "Sergio", "Carmen", "Andrés", "Marta"),
    "fr": ("Julien", "Camille", "Nicolas", "Claire", "Mathieu", "Léa", "Antoine", "Chloé", "Hugo", "Manon"),
    "de": ("Lukas", "Anna", "Jonas", "Lena", "Felix", "Sarah", "Tobias", "Julia", "Stefan", "Katrin"),
    "it": ("Marco", "Giulia", "Luca", "Francesca", "Matteo", "Chiara", "Davide", "Sara", "Paolo", "Elisa"),
    "pt": ("João", "Ana", "Tiago", "Inês", "Rui", "Beatriz", "Miguel", "Sofia", "Pedro", "Marta"),
    "nl": ("Daan", "Sanne", "Bram", "Lotte", "Thijs", "Femke", "Joris", "Eva", "Ruben", "Anouk"),
}  # fmt: skip
LAST_NAMES = {
    "en": ("Smith", "Taylor", "Walker", "Hughes", "Bennett", "Turner", "Collins", "Murphy", "Tan", "Lim"),
    "es": ("García", "Martínez", "López", "Sánchez", "Romero", "Navarro", "Torres", "Ortega", "Molina"),
    "fr": ("Martin", "Bernard", "Dubois", "Moreau", "Laurent", "Girard", "Roux", "Fontaine", "Mercier"),
    "de": ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Hoffmann", "Koch", "Richter"),
    "it": ("Rossi", "Russo", "Ferrari", "Esposito", "Bianchi", "Romano", "Colombo", "Ricci", "Greco"),
    "pt": ("Silva", "Santos", "Ferreira", "Pereira", "Oliveira", "Costa", "Rodrigues", "Martins", "Sousa"),
    "nl": ("de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer", "Mulder"),
}  # fmt: skip

CITIES = {
    "DE": ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main", "Stuttgart", "Düsseldorf", "Leipzig",
           "Dortmund", "Bremen", "Dresden", "Hannover", "Nürnberg", "Freiburg", "Münster", "Augsburg"),
    "AT": ("Wien", "Graz", "Linz", "Salzburg", "Innsbruck", "Klagenfurt", "Villach", "Wels", "St. Pölten"),
    "ES": ("Madrid", "Barcelona", "Valencia", "Sevilla", "Zaragoza", "Málaga", "Bilbao", "Alicante",
           "Córdoba", "Valladolid", "Vigo", "Granada", "A Coruña"),
    "FR": ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes", "Bordeaux", "Lille", "Rennes", "Strasbourg",
           "Montpellier", "Nice", "Grenoble", "Dijon", "Angers"),
    "BE": ("Bruxelles", "Liège", "Namur", "Charleroi", "Mons", "Wavre", "Tournai", "Arlon"),
    "IT": ("Roma", "Milano", "Napoli", "Torino", "Bologna", "Firenze", "Genova", "Verona", "Padova", "Bari",
           "Brescia", "Parma"),
    "PT": ("Lisboa", "Porto", "Braga", "Coimbra", "Aveiro", "Faro", "Setúbal", "Funchal", "Viseu", "Leiria"),
    "NL": ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven", "Groningen", "Tilburg", "Almere",
           "Breda", "Nijmegen", "Haarlem", "Arnhem", "Zwolle"),
    "GB": ("London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol", "Edinburgh", "Liverpool",
           "Sheffield", "Cardiff", "Leicester", "Nottingham", "Reading"),
    "US": ("New York, NY", "Chicago, IL", "Austin, TX", "Denver, CO", "Seattle, WA", "Portland, OR",
           "Boston, MA", "Atlanta, GA", "Phoenix, AZ", "Columbus, OH", "Raleigh, NC", "San Diego, CA"),
    "IE": ("Dublin", "Cork", "Galway", "Limerick", "Waterford", "Kilkenny", "Sligo", "Athlone"),
    "MY": ("Kuala Lumpur", "Petaling Jaya", "Shah Alam", "Johor Bahru", "George Town", "Ipoh", "Kuching",
           "Kota Kinabalu", "Melaka", "Seremban"),
    "SG": ("Singapore",),
}  # fmt: skip
BE_NL_CITIES = ("Antwerpen", "Gent", "Brugge", "Leuven", "Mechelen", "Hasselt")

# (prefix patterns, names, suffixes) per street style; "{n}" is the house number.
STREETS = {
    "de": ("{s}{x} {n}", ("Haupt", "Bahnhof", "Garten", "Linden", "Berg", "Kirch", "Schul", "Wald", "Mühlen",
                          "Rosen", "Birken", "Eichen", "Feld", "Markt", "Industrie", "Gewerbe", "Hafen"),
           ("straße", "straße", "weg", "allee", "ring", "gasse", "str.")),
    "es": ("{x} {s}, {n}", ("Mayor", "del Sol", "de la Paz", "Real", "San Juan", "de los Olivos", "del Río",
                            "de la Industria", "Nueva", "del Mar", "de las Flores", "del Carmen"),
           ("Calle", "Calle", "Avenida", "C/", "Paseo", "Plaza")),
    "fr": ("{n} {x} {s}", ("de la Paix", "des Lilas", "du Moulin", "de la Gare", "Victor Hugo", "des Écoles",
                           "du Commerce", "de l'Église", "Pasteur", "des Acacias", "du Port", "des Vignes"),
           ("rue", "rue", "avenue", "boulevard", "allée", "chemin", "place")),
    "it": ("{x} {s} {n}", ("Roma", "Garibaldi", "Dante", "dei Mille", "delle Industrie", "Verdi", "Mazzini",
                           "della Repubblica", "dei Tigli", "San Marco", "del Lavoro", "Cavour"),
           ("Via", "Via", "Viale", "Corso", "Piazza", "Largo")),
    "pt": ("{x} {s}, {n}", ("das Flores", "da Liberdade", "do Comércio", "de São João", "dos Pinheiros",
                            "da Boavista", "Almirante Reis", "da Indústria", "do Mar", "Nova"),
           ("Rua", "Rua", "Avenida", "Travessa", "Largo", "Praça")),
    "nl": ("{s}{x} {n}", ("Kerk", "Dorps", "Molen", "Linden", "Stations", "Markt", "Industrie", "Beuken",
                          "Eiken", "Heren", "Prinsen", "Wilhelmina", "Haven", "Nieuwe"),
           ("straat", "straat", "weg", "laan", "plein", "gracht", "kade", "singel")),
    "en": ("{n} {s} {x}", ("High", "Church", "Station", "Mill", "Park", "Victoria", "Queen's", "King",
                           "Market", "Bridge", "Oak", "Elm", "Riverside", "Chapel", "North"),
           ("Street", "Street", "Road", "Lane", "Avenue", "Way", "Close", "Drive")),
    "us": ("{n} {s} {x}", ("Main", "Oak", "Maple", "Washington", "Lake", "Hill", "Pine", "Cedar", "Elm",
                           "Park", "2nd", "5th", "Sunset", "Lincoln", "River"),
           ("St", "Street", "Ave", "Avenue", "Blvd", "Road", "Drive", "Lane")),
    "my": ("No. {n}, {x} {s}", ("Bunga Raya", "Ampang", "Sultan Ismail", "Tun Razak", "Merdeka", "SS 2/24",
                               "Kenanga", "Perdana", "Klang Lama", "Puchong", "Damai"),
           ("Jalan", "Jalan", "Jln", "Lorong", "Persiaran")),
    "sg": ("{n} {s} {x}", ("Orchard", "Tanjong Pagar", "Ubi", "Kallang", "Jurong East", "Tampines",
                           "Bukit Timah", "Serangoon", "Changi", "Woodlands", "Pasir Panjang"),
           ("Road", "Street", "Avenue", "Drive", "Crescent")),
}  # fmt: skip
STREET_STYLE = {"DE": "de", "AT": "de", "ES": "es", "FR": "fr", "IT": "it", "PT": "pt", "NL": "nl",
                "GB": "en", "IE": "en", "US": "us", "MY": "my", "SG": "sg"}  # fmt: skip

US_STATES_ZIP = {"NY": "10", "IL": "60", "TX": "78", "CO": "80", "WA": "98", "OR": "97", "MA": "02",
                 "GA": "30", "AZ": "85", "OH": "43", "NC": "27", "CA": "92"}  # fmt: skip

COUNTRY_NAMES = {  # country -> names in (en, es, fr, de, it, pt, nl)
    "DE": ("Germany", "Alemania", "Allemagne", "Deutschland", "Germania", "Alemanha", "Duitsland"),
    "AT": ("Austria", "Austria", "Autriche", "Österreich", "Austria", "Áustria", "Oostenrijk"),
    "ES": ("Spain", "España", "Espagne", "Spanien", "Spagna", "Espanha", "Spanje"),
    "FR": ("France", "Francia", "France", "Frankreich", "Francia", "França", "Frankrijk"),
    "BE": ("Belgium", "Bélgica", "Belgique", "Belgien", "Belgio", "Bélgica", "België"),
    "IT": ("Italy", "Italia", "Italie", "Italien", "Italia", "Itália", "Italië"),
    "PT": ("Portugal", "Portugal", "Portugal", "Portugal", "Portogallo", "Portugal", "Portugal"),
    "NL": ("Netherlands", "Países Bajos", "Pays-Bas", "Niederlande", "Paesi Bassi", "Países Baixos",
           "Nederland"),
    "GB": ("United Kingdom", "Reino Unido", "Royaume-Uni", "Vereinigtes Königreich", "Regno Unito",
           "Reino Unido", "Verenigd Koninkrijk"),
    "US": ("USA", "EE. UU.", "États-Unis", "USA", "Stati Uniti", "EUA", "Verenigde Staten"),
    "IE": ("Ireland", "Irlanda", "Irlande", "Irland", "Irlanda", "Irlanda", "Ierland"),
    "MY": ("Malaysia", "Malasia", "Malaisie", "Malaysia", "Malesia", "Malásia", "Maleisië"),
    "SG": ("Singapore", "Singapur", "Singapour", "Singapur", "Singapore", "Singapura", "Singapore"),
}  # fmt: skip

# Business items: (unit kind, low price, high price, translations).
B2B_ITEMS = (
    ("h", 45, 180, ("Consulting services", "Servicios de consultoría", "Prestation de conseil", "Beratungsleistung",
                    "Servizi di consulenza", "Serviços de consultoria", "Adviesdiensten")),
    ("h", 35, 120, ("Software development", "Desarrollo de software", "Développement logiciel",
                    "Softwareentwicklung", "Sviluppo software", "Desenvolvimento de software",
                    "Softwareontwikkeling")),
    ("h", 30, 90, ("Installation work", "Trabajos de instalación", "Travaux d'installation", "Montagearbeiten",
                   "Lavori di installazione", "Trabalhos de instalação", "Installatiewerkzaamheden")),
    ("day", 400, 1200, ("Project management", "Gestión de proyecto", "Gestion de projet", "Projektmanagement",
                        "Gestione progetto", "Gestão de projeto", "Projectmanagement")),
    ("day", 300, 900, ("On-site training", "Formación presencial", "Formation sur site", "Schulung vor Ort",
                       "Formazione in sede", "Formação presencial", "Training op locatie")),
    ("month", 15, 400, ("Software licence subscription", "Suscripción de licencia de software",
                        "Abonnement licence logicielle", "Softwarelizenz Abonnement",
                        "Abbonamento licenza software", "Subscrição de licença de software",
                        "Abonnement softwarelicentie")),
    ("month", 20, 250, ("Web hosting", "Alojamiento web", "Hébergement web", "Webhosting", "Hosting web",
                        "Alojamento web", "Webhosting")),
    ("month", 150, 2500, ("Office rent", "Alquiler de oficina", "Loyer bureau", "Büromiete", "Affitto ufficio",
                          "Renda de escritório", "Huur kantoorruimte")),
    ("pcs", 2, 15, ("Printer paper A4, 500 sheets", "Papel A4, 500 hojas", "Papier A4, ramette 500 feuilles",
                    "Kopierpapier A4, 500 Blatt", "Carta A4, risma 500 fogli", "Papel A4, resma 500 folhas",
                    "Printpapier A4, 500 vel")),
    ("pcs", 80, 450, ("Office chair", "Silla de oficina", "Fauteuil de bureau", "Bürostuhl", "Sedia da ufficio",
                      "Cadeira de escritório", "Bureaustoel")),
    ("pcs", 150, 900, ("Laptop docking station", "Base de conexión para portátil", "Station d'accueil",
                       "Dockingstation", "Docking station", "Estação de ancoragem", "Dockingstation")),
    ("pcs", 20, 180, ("Toner cartridge", "Cartucho de tóner", "Cartouche de toner", "Tonerkartusche",
                      "Cartuccia toner", "Tinteiro de toner", "Tonercartridge")),
    ("pcs", 3, 40, ("Cable set", "Juego de cables", "Lot de câbles", "Kabelsatz", "Set di cavi",
                    "Conjunto de cabos", "Kabelset")),
    ("pcs", 100, 1500, ("Monitor 27 inch", "Monitor de 27 pulgadas", "Écran 27 pouces", "Monitor 27 Zoll",
                        "Monitor 27 pollici", "Monitor de 27 polegadas", "Monitor 27 inch")),
    ("box", 8, 60, ("Screws assortment", "Surtido de tornillos", "Assortiment de vis", "Schraubensortiment",
                    "Assortimento viti", "Sortido de parafusos", "Schroevenassortiment")),
    ("box", 10, 45, ("Cleaning supplies", "Productos de limpieza", "Produits d'entretien", "Reinigungsmittel",
                     "Prodotti per la pulizia", "Produtos de limpeza", "Schoonmaakmiddelen")),
    ("kg", 2, 25, ("Coffee beans", "Café en grano", "Café en grains", "Kaffeebohnen", "Caffè in grani",
                   "Café em grão", "Koffiebonen")),
    ("m", 1, 20, ("Network cable Cat6", "Cable de red Cat6", "Câble réseau Cat6", "Netzwerkkabel Cat6",
                  "Cavo di rete Cat6", "Cabo de rede Cat6", "Netwerkkabel Cat6")),
    ("job", 50, 600, ("Maintenance service", "Servicio de mantenimiento", "Contrat de maintenance", "Wartung",
                      "Servizio di manutenzione", "Serviço de manutenção", "Onderhoudsbeurt")),
    ("job", 200, 3000, ("Graphic design package", "Paquete de diseño gráfico", "Forfait design graphique",
                        "Grafikdesign Paket", "Pacchetto grafica", "Pacote de design gráfico",
                        "Grafisch ontwerppakket")),
    ("pcs", 5, 60, ("Business cards, 250 pcs", "Tarjetas de visita, 250 uds.", "Cartes de visite, 250 ex.",
                    "Visitenkarten, 250 Stück", "Biglietti da visita, 250 pz.", "Cartões de visita, 250 un.",
                    "Visitekaartjes, 250 st.")),
    ("job", 30, 300, ("Transport and handling", "Transporte y manipulación", "Transport et manutention",
                      "Transport und Handling", "Trasporto e movimentazione", "Transporte e manuseamento",
                      "Transport en behandeling")),
)  # fmt: skip

# Shop goods for till receipts: (low, high, translations).
RETAIL_ITEMS = (
    (0.6, 2.5, ("Milk 1L", "Leche 1L", "Lait 1L", "Vollmilch 1L", "Latte 1L", "Leite 1L", "Melk 1L")),
    (0.8, 4.5, ("Bread", "Pan", "Pain", "Brot", "Pane", "Pão", "Brood")),
    (0.3, 1.8, ("Croissant", "Cruasán", "Croissant", "Croissant", "Cornetto", "Croissant", "Croissant")),
    (1.5, 6.0, ("Cheese", "Queso", "Fromage", "Käse", "Formaggio", "Queijo", "Kaas")),
    (0.9, 3.5, ("Apples", "Manzanas", "Pommes", "Äpfel", "Mele", "Maçãs", "Appels")),
    (0.5, 2.0, ("Bananas", "Plátanos", "Bananes", "Bananen", "Banane", "Bananas", "Bananen")),
    (1.2, 3.9, ("Coffee", "Café", "Café", "Kaffee", "Caffè", "Café", "Koffie")),
    (2.0, 5.5, ("Cappuccino", "Capuchino", "Cappuccino", "Cappuccino", "Cappuccino", "Cappuccino",
                "Cappuccino")),
    (0.4, 2.2, ("Mineral water", "Agua mineral", "Eau minérale", "Mineralwasser", "Acqua minerale",
                "Água mineral", "Mineraalwater")),
    (1.0, 4.0, ("Orange juice", "Zumo de naranja", "Jus d'orange", "Orangensaft", "Succo d'arancia",
                "Sumo de laranja", "Sinaasappelsap")),
    (0.8, 3.0, ("Pasta 500g", "Pasta 500g", "Pâtes 500g", "Nudeln 500g", "Pasta 500g", "Massa 500g",
                "Pasta 500g")),
    (2.5, 9.0, ("Olive oil", "Aceite de oliva", "Huile d'olive", "Olivenöl", "Olio d'oliva", "Azeite",
                "Olijfolie")),
    (1.5, 4.0, ("Yoghurt 4-pack", "Yogur pack 4", "Yaourts x4", "Joghurt 4er", "Yogurt 4 pz", "Iogurte pack 4",
                "Yoghurt 4-pack")),
    (3.0, 12.0, ("Chicken breast", "Pechuga de pollo", "Blanc de poulet", "Hähnchenbrust", "Petto di pollo",
                 "Peito de frango", "Kipfilet")),
    (2.0, 8.0, ("Red wine", "Vino tinto", "Vin rouge", "Rotwein", "Vino rosso", "Vinho tinto", "Rode wijn")),
    (0.7, 2.5, ("Chocolate bar", "Tableta de chocolate", "Tablette de chocolat", "Schokolade",
                "Tavoletta di cioccolato", "Tablete de chocolate", "Chocoladereep")),
    (1.0, 6.0, ("Shampoo", "Champú", "Shampooing", "Shampoo", "Shampoo", "Champô", "Shampoo")),
    (0.9, 3.5, ("Toothpaste", "Pasta de dientes", "Dentifrice", "Zahnpasta", "Dentifricio", "Pasta de dentes",
                "Tandpasta")),
    (2.0, 15.0, ("Paracetamol 500mg", "Paracetamol 500mg", "Paracétamol 500mg", "Paracetamol 500mg",
                 "Paracetamolo 500mg", "Paracetamol 500mg", "Paracetamol 500mg")),
    (0.1, 0.5, ("Carrier bag", "Bolsa", "Sac cabas", "Tragetasche", "Shopper", "Saco", "Draagtas")),
    (3.0, 14.0, ("Sandwich", "Bocadillo", "Sandwich", "Belegtes Brötchen", "Panino", "Sandes", "Broodje")),
    (5.0, 18.0, ("Lunch menu", "Menú del día", "Formule déjeuner", "Mittagsmenü", "Menù pranzo",
                 "Menu do dia", "Lunchmenu")),
    (2.0, 25.0, ("Screwdriver set", "Juego de destornilladores", "Jeu de tournevis", "Schraubendreher-Set",
                 "Set cacciaviti", "Jogo de chaves de fendas", "Schroevendraaierset")),
    (1.0, 9.0, ("Batteries AA 4-pack", "Pilas AA pack 4", "Piles AA x4", "Batterien AA 4er",
                "Batterie AA 4 pz", "Pilhas AA pack 4", "Batterijen AA 4-pack")),
)  # fmt: skip

# Extra clauses that make item descriptions wrap over two or three printed lines.
LONG_DETAILS = {
    "en": ("including installation, configuration and on-site acceptance testing at the customer premises",
           "as agreed in our quotation {ref} dated {date}", "service period {date} to {date2}",
           "delivered to the site office, unpacked and old packaging material taken back for recycling"),
    "es": ("incluye instalación, configuración y pruebas de aceptación en las instalaciones del cliente",
           "según nuestro presupuesto {ref} de fecha {date}", "periodo de servicio del {date} al {date2}",
           "entregado en obra, desembalado y retirada del material de embalaje para su reciclaje"),
    "fr": ("comprenant l'installation, la configuration et les tests de réception dans vos locaux",
           "selon notre devis {ref} du {date}", "période de service du {date} au {date2}",
           "livré sur site, déballé et reprise des emballages pour recyclage"),
    "de": ("inklusive Installation, Konfiguration und Abnahmetest vor Ort beim Kunden",
           "gemäß unserem Angebot {ref} vom {date}", "Leistungszeitraum {date} bis {date2}",
           "frei Baustelle geliefert, ausgepackt und Rücknahme des Verpackungsmaterials zur Entsorgung"),
    "it": ("comprensivo di installazione, configurazione e collaudo presso la sede del cliente",
           "come da nostro preventivo {ref} del {date}", "periodo di servizio dal {date} al {date2}",
           "consegnato in cantiere, disimballato con ritiro degli imballaggi per il riciclo"),
    "pt": ("inclui instalação, configuração e testes de aceitação nas instalações do cliente",
           "conforme o nosso orçamento {ref} de {date}", "período de serviço de {date} a {date2}",
           "entregue na obra, desembalado e recolha das embalagens para reciclagem"),
    "nl": ("inclusief installatie, configuratie en acceptatietest op locatie bij de klant",
           "volgens onze offerte {ref} van {date}", "serviceperiode {date} tot en met {date2}",
           "geleverd op de bouwplaats, uitgepakt en verpakkingsmateriaal retour genomen voor recycling"),
}  # fmt: skip

EMAIL_USERS = ("info", "billing", "accounts", "invoices", "office", "sales", "contact", "hello", "admin")
TLDS = {"DE": ".de", "AT": ".at", "ES": ".es", "FR": ".fr", "BE": ".be", "IT": ".it", "PT": ".pt",
        "NL": ".nl", "GB": ".co.uk", "US": ".com", "IE": ".ie", "MY": ".com.my", "SG": ".com.sg"}  # fmt: skip
