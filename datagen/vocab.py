"""Small vocabularies and per-platform shape parameters for the synthetic catalogs.

Numbers (genre weights, rating-code weights, empty rates, fault counts) were measured on the
real Kaggle files in shared/data/raw/titles (see PROVENANCE.md); names, titles and descriptions
are never copied: they are assembled from the generic word lists below by the RNG.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Latent "themes": the cross-platform taste axes users have favourites in. Every platform genre
# maps to one theme, so a drama fan likes Netflix "Dramas", Hulu "Drama" and Amazon "Drama".
THEMES = (
    "drama", "comedy", "action", "thriller", "horror", "romance", "scifi", "family",
    "documentary", "anime", "international", "music", "sports", "reality", "lifestyle",
)

# words a description uses for a title of each theme (so the description says what kind of title it is, as real
# synopses do: "haunted", "detective", "love")
THEME_WORDS = {
    "drama": ("grief", "redemption", "courage", "sacrifice", "betrayal", "ambition"),
    "comedy": ("hilarious", "misadventures", "pranks", "awkward", "zany", "mayhem"),
    "action": ("explosive", "heist", "chase", "mercenaries", "showdown", "rescue"),
    "thriller": ("suspense", "conspiracy", "killer", "paranoia", "kidnapping", "stalker"),
    "horror": ("haunted", "curse", "demonic", "terror", "ghosts", "possession"),
    "romance": ("love", "wedding", "heartbreak", "romance", "soulmate", "courtship"),
    "scifi": ("alien", "spaceship", "dystopia", "cyborg", "galaxy", "time-travel"),
    "family": ("adventure", "friendship", "talking", "magical", "cartoon", "puppies"),
    "documentary": ("interviews", "footage", "investigation", "archival", "filmmaker", "history"),
    "anime": ("samurai", "mecha", "ninja", "spirits", "tournament", "academy"),
    "international": ("village", "tradition", "homeland", "migrants", "dynasty", "border"),
    "music": ("band", "concert", "songs", "singer", "tour", "album"),
    "sports": ("championship", "athlete", "coach", "league", "match", "olympic"),
    "reality": ("contestants", "competition", "elimination", "challenge", "makeover", "cameras"),
    "lifestyle": ("recipes", "travel", "renovation", "fashion", "wellness", "cooking"),
}

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August",
    "September", "October", "November", "December",
)

COUNTRIES = (
    "United States", "India", "United Kingdom", "Canada", "France", "Japan", "Spain", "South Korea",
    "Germany", "Mexico", "China", "Australia", "Egypt", "Turkey", "Hong Kong", "Nigeria", "Italy",
    "Brazil", "Argentina", "Belgium", "Indonesia", "Taiwan", "Philippines", "Thailand", "South Africa",
    "Sweden", "Denmark", "Ireland", "Netherlands", "Norway", "New Zealand", "Poland", "Israel",
    "Colombia", "Chile", "Russia", "Austria", "Switzerland", "Czech Republic", "Singapore",
    "United Arab Emirates", "Lebanon", "Malaysia", "Portugal", "Finland", "Hungary", "Bulgaria",
    "Luxembourg", "Romania", "Iceland",
)

FIRST_NAMES = (
    "James", "Maria", "Robert", "Aiko", "David", "Sofia", "Michael", "Priya", "Daniel", "Chloe",
    "Thomas", "Amara", "Lucas", "Elena", "Samuel", "Hana", "Oliver", "Grace", "Mateo", "Nadia",
    "Arjun", "Leila", "Kenji", "Isabel", "Omar", "Fatima", "Noah", "Zoë", "José", "Ingrid",
    "Pierre", "Anya", "Victor", "Camille", "Ravi", "Yuki", "Henry", "Clara", "Diego", "Marta",
    "Kwame", "Lena", "Felix", "Rosa", "Tariq", "Mei", "Hugo", "Ada", "Björn", "Lucía",
    "Emil", "Nora", "Jae-won", "Ines", "Marcus", "Tessa", "Andrés", "Olga", "Sipho", "Freya",
)
LAST_NAMES = (
    "Smith", "Garcia", "Tanaka", "Okafor", "Müller", "Rossi", "Kowalski", "Nguyen", "Johnson",
    "Khan", "Silva", "Kim", "Dubois", "Ivanova", "Brown", "Patel", "Martínez", "Yamamoto", "Larsen",
    "O'Brien", "Hughes", "Fernández", "Cohen", "Mensah", "Novak", "Lindqvist", "Moreau", "Chen",
    "Walker", "Haddad", "Sato", "Ramírez", "Becker", "Adeyemi", "Costa", "Murphy", "Schmidt",
    "Park", "Nakamura", "Sharma", "Wright", "Lopez", "Andersen", "Popescu", "Reyes", "Fischer",
    "Kapoor", "Torres", "Bianchi", "Clarke", "Van Dijk", "De la Cruz", "Abara", "Holm", "Ortiz",
)

TITLE_ADJ = (
    "Last", "Silent", "Broken", "Hidden", "Wild", "Golden", "Lost", "Dark", "Secret", "Little",
    "Final", "Eternal", "Crimson", "Electric", "Midnight", "Frozen", "Burning", "Forgotten",
    "Perfect", "Hollow", "Lucky", "Savage", "Quiet", "Endless", "Bright", "Wicked", "Sweet", "Iron",
    "Restless", "Distant", "Fearless", "Stolen", "Brave", "Strange", "Second", "Northern",
)
TITLE_NOUN = (
    "Night", "River", "Kingdom", "Heart", "Road", "Summer", "Storm", "Game", "City", "House",
    "Dream", "Promise", "Shadow", "Island", "Winter", "Garden", "Empire", "Voyage", "Secret",
    "Ghost", "Star", "Crown", "Mirror", "Journey", "Legacy", "Witness", "Signal", "Harbor",
    "Frontier", "Melody", "Echo", "Horizon", "Letter", "Stranger", "Planet", "Family", "Hunter",
    "Detective", "Wedding", "Academy", "Circus", "Dragon", "Wolf", "Sister", "Brother", "Kitchen",
    "Bridge", "Engine", "Forest", "Desert", "Ocean", "Rebel", "Prince", "Dancer", "Season",
)
TITLE_SUB = (
    "The Beginning", "Part Two", "Reloaded", "The Return", "A New Hope", "Live", "Unfinished Business",
    "The Lost Tapes", "Origins", "Homecoming", "Behind the Scenes", "The Reunion", "Rising",
    "A Holiday Special", "Special Edition", "The Final Chapter", "In Concert", "Uncut",
)
TITLE_VERB = (
    "Chasing", "Finding", "Saving", "Loving", "Becoming", "Leaving", "Raising", "Catching",
    "Running", "Waiting for", "Dancing with", "Searching for", "Remembering", "Escaping",
)

DESC_OPEN = (
    "A", "An ambitious", "A reclusive", "A determined", "A grieving", "A cheerful", "A cynical",
    "A brilliant", "A struggling", "A retired", "A rookie", "A stubborn", "A shy", "A reckless",
)
DESC_ROLE = (
    "detective", "chef", "single mother", "teenager", "boxer", "journalist", "scientist", "pilot",
    "teacher", "musician", "farmer", "hacker", "nurse", "lawyer", "magician", "soldier", "comedian",
    "princess", "robot", "thief", "surgeon", "diver", "painter", "coach", "puppy", "astronaut",
)
DESC_VERB = (
    "must confront a painful past", "sets out to find a missing friend", "uncovers a dangerous secret",
    "teams up with an unlikely ally", "fights to save the family business", "falls for a stranger",
    "is drawn into a deadly conspiracy", "returns home after many years", "competes for a life-changing prize",
    "tries to win back an old flame", "discovers a hidden talent", "races against time",
    "questions everything after a strange discovery", "hunts a mysterious killer",
    "embarks on an unforgettable road trip", "learns the true meaning of friendship",
    "battles rivals and self-doubt", "stumbles into a world of magic",
)
DESC_PLACE = (
    "in a small coastal town", "across a sprawling city", "in 1970s Tokyo", "on a remote island",
    "in the heart of the jungle", "during a brutal winter", "at a boarding school", "in outer space",
    "on the streets of Lagos", "in a sleepy village", "inside a crumbling mansion", "along the border",
    "in a futuristic megacity", "at the edge of the desert", "in postwar Europe", "behind bars",
)
DESC_LINK = ("Meanwhile,", "Elsewhere,", "Years later,", "Across town,", "At the same time,", "Soon")
DESC_TAIL = (
    "Friendships are tested and loyalties shift.", "Nothing is what it seems.",
    "Based on a true story.", "A heartfelt tale of love and loss.", "Laughter and chaos ensue.",
    "The clock is ticking.", "Secrets will surface.", "Some rules are made to be broken.",
    "Family comes first, no matter what.", "Survival is only the beginning.",
    "Featuring interviews with experts and eyewitnesses.", "A journey they will never forget.",
)


@dataclass(frozen=True)
class PlatformSpec:
    """Shape of one platform's catalog: mixes, weights, empty rates and real fault counts."""

    name: str
    stem: str
    real_count: int
    movie_share: float
    # (genre, movie weight, tv weight, theme)
    genres: tuple[tuple[str, float, float, str], ...]
    n_genres_p: tuple[float, float, float]
    ratings_movie: dict[str, float]
    ratings_tv: dict[str, float]
    # empty rates (movie, tv)
    empty_director: tuple[float, float]
    empty_cast: tuple[float, float]
    empty_country: tuple[float, float]
    empty_date: tuple[float, float]
    countries_top: dict[str, float]
    multi_country: float
    multi_director: float
    cast_mean: float
    cast_max: int
    # movie minutes: main normal (mean, sd), short share, long-outlier share and max
    minutes: tuple[float, float]
    short_share: float
    long_share: float
    long_max: int
    p_one_season: float
    # release year: min year, share drawn uniformly, exponential scale of "years before 2021"
    year_min: int
    year_uniform: float
    year_scale: float
    # date_added: range (iso), optional year weights, spike (iso date, share), first-of-month share
    date_range: tuple[str, str]
    date_year_weights: dict[int, float] = field(default_factory=dict)
    date_spike: tuple[str, float] | None = None
    first_of_month: float = 0.0
    # description length: (mean, sd, min, max)
    desc_len: tuple[float, float, int, int] = (150.0, 20.0, 40, 300)
    # real counts of quirks (scaled by the generator): kind -> count in the real file
    quirks: dict[str, int] = field(default_factory=dict)
    # exact extra rating codes (real count) injected on top of the weights
    odd_ratings: dict[str, int] = field(default_factory=dict)


def _g(*rows: tuple[str, float, float, str]) -> tuple[tuple[str, float, float, str], ...]:
    """Return genre rows as a tuple (keeps the tables below compact)."""
    return tuple(rows)


AMAZON = PlatformSpec(
    name="amazon", stem="amazon_prime_titles", real_count=9668, movie_share=0.808,
    genres=_g(
        ("Drama", 3206, 481, "drama"), ("Comedy", 1821, 278, "comedy"), ("Action", 1502, 155, "action"),
        ("Suspense", 1381, 120, "thriller"), ("Kids", 679, 406, "family"),
        ("Documentary", 679, 314, "documentary"), ("Special Interest", 707, 273, "lifestyle"),
        ("Horror", 835, 40, "horror"), ("Romance", 592, 82, "romance"), ("Animation", 279, 268, "family"),
        ("Arts, Entertainment, and Culture", 423, 60, "music"), ("Science Fiction", 417, 40, "scifi"),
        ("International", 284, 71, "international"), ("TV Shows", 0, 263, "drama"),
        ("Adventure", 239, 20, "action"), ("Western", 229, 5, "action"), ("Sports", 120, 40, "sports"),
        ("Music Videos and Concerts", 135, 20, "music"), ("Unscripted", 1, 151, "reality"),
        ("Arthouse", 141, 0, "drama"), ("LGBTQ", 103, 10, "romance"),
        ("Young Adult Audience", 57, 30, "family"), ("Fitness", 43, 40, "lifestyle"),
        ("Anime", 40, 40, "anime"), ("Fantasy", 58, 10, "scifi"),
        ("Faith and Spirituality", 56, 10, "lifestyle"), ("Military and War", 39, 5, "action"),
        ("Historical", 21, 10, "documentary"), ("Talk Show and Variety", 0, 14, "reality"),
    ),
    n_genres_p=(0.40, 0.39, 0.21),
    ratings_movie={
        "13+": 1849, "16+": 1272, "18+": 1097, "R": 1010, "ALL": 988, "PG-13": 393, "": 331, "7+": 288,
        "PG": 253, "NR": 223, "G": 93, "UNRATED": 33, "NC-17": 3,
    },
    ratings_tv={
        "ALL": 280, "16+": 275, "13+": 268, "TV-14": 208, "TV-PG": 169, "18+": 146, "TV-NR": 105,
        "7+": 97, "TV-G": 81, "TV-MA": 77, "TV-Y": 74, "TV-Y7": 39, "": 6,
    },
    empty_director=(0.029, 1.0), empty_cast=(0.098, 0.253), empty_country=(0.927, 0.944),
    empty_date=(0.998, 0.925),
    countries_top={"United States": 334, "India": 246, "United Kingdom": 67, "Canada": 35, "France": 20,
                   "Germany": 17, "Italy": 14, "Spain": 11},
    multi_country=0.011, multi_director=0.05, cast_mean=5.3, cast_max=60,
    minutes=(92.0, 20.0), short_share=0.08, long_share=0.004, long_max=601, p_one_season=0.72,
    year_min=1920, year_uniform=0.30, year_scale=4.0,
    date_range=("2021-03-30", "2021-10-10"), date_spike=("2021-03-30", 0.09),
    desc_len=(254.0, 110.0, 20, 1100),
    quirks={"newline_desc": 10, "nbsp_desc": 42, "nbsp_cast": 7, "nbsp_director": 2, "zwsp_cast": 2,
            "fffd_title": 1, "fffd_cast": 2, "u2028_cast": 1, "dup_same_year": 8, "dup_other_year": 8,
            "space_around_director": 2, "space_around_cast": 1, "double_space_cast": 50},
    odd_ratings={"AGES_18_": 3, "NOT_RATE": 3, "AGES_16_": 2, "16": 1, "ALL_AGES": 1},
)

DISNEY = PlatformSpec(
    name="disney", stem="disney_plus_titles", real_count=1450, movie_share=0.726,
    genres=_g(
        ("Family", 533, 99, "family"), ("Animation", 381, 161, "family"), ("Comedy", 407, 119, "comedy"),
        ("Action-Adventure", 314, 138, "action"), ("Animals & Nature", 130, 78, "documentary"),
        ("Coming of Age", 153, 52, "drama"), ("Fantasy", 158, 34, "scifi"),
        ("Documentary", 164, 10, "documentary"), ("Kids", 39, 102, "family"), ("Drama", 114, 20, "drama"),
        ("Docuseries", 0, 122, "documentary"), ("Science Fiction", 81, 10, "scifi"),
        ("Historical", 43, 10, "documentary"), ("Music", 38, 10, "music"), ("Musical", 39, 5, "music"),
        ("Sports", 33, 10, "sports"), ("Biographical", 36, 5, "drama"), ("Buddy", 24, 16, "comedy"),
        ("Anthology", 7, 21, "drama"), ("Reality", 4, 22, "reality"), ("Romance", 17, 3, "romance"),
        ("Superhero", 14, 5, "action"), ("Crime", 11, 5, "thriller"), ("Variety", 4, 8, "reality"),
        ("Mystery", 8, 4, "thriller"), ("Game Show / Competition", 0, 10, "reality"),
        ("Survival", 6, 3, "action"), ("Parody", 7, 2, "comedy"), ("Lifestyle", 2, 6, "lifestyle"),
        ("Concert Film", 7, 0, "music"), ("Western", 6, 1, "action"), ("Medical", 2, 4, "drama"),
        ("Dance", 4, 2, "music"), ("Thriller", 4, 1, "thriller"), ("Anime", 1, 3, "anime"),
        ("Spy/Espionage", 2, 1, "thriller"), ("Romantic Comedy", 2, 0, "romance"),
        ("Soap Opera / Melodrama", 0, 2, "drama"), ("Disaster", 2, 0, "action"), ("Talk Show", 0, 1, "reality"),
        ("Travel", 0, 1, "lifestyle"), ("Movies", 3, 0, "family"), ("Series", 0, 3, "family"),
    ),
    n_genres_p=(0.044, 0.215, 0.741),
    ratings_movie={"G": 253, "PG": 235, "TV-G": 233, "TV-PG": 181, "PG-13": 66, "TV-14": 37, "TV-Y7": 36,
                   "TV-Y7-FV": 7, "TV-Y": 3, "": 1},
    ratings_tv={"TV-PG": 120, "TV-Y7": 95, "TV-G": 85, "TV-Y": 47, "TV-14": 42, "TV-Y7-FV": 6, "": 2, "PG": 1},
    empty_director=(0.071, 1.0), empty_cast=(0.113, 0.178), empty_country=(0.101, 0.284),
    empty_date=(0.0, 0.008),
    countries_top={"United States": 1184, "United Kingdom": 101, "Canada": 77, "Australia": 23,
                   "France": 22, "South Korea": 13, "Japan": 10, "China": 10},
    multi_country=0.13, multi_director=0.09, cast_mean=4.7, cast_max=6,
    minutes=(92.0, 18.0), short_share=0.28, long_share=0.002, long_max=183, p_one_season=0.55,
    year_min=1928, year_uniform=0.30, year_scale=7.0,
    date_range=("2019-10-01", "2021-11-26"), date_spike=("2019-11-12", 0.50),
    desc_len=(75.0, 17.0, 28, 102),
    quirks={"nbsp_title": 1, "nbsp_cast": 1, "nbsp_desc": 1},
)

HULU = PlatformSpec(
    name="hulu", stem="hulu_titles", real_count=3073, movie_share=0.483,
    genres=_g(
        ("Drama", 489, 418, "drama"), ("Comedy", 337, 330, "comedy"), ("Adventure", 260, 296, "action"),
        ("Action", 273, 282, "action"), ("Documentaries", 278, 246, "documentary"), ("Anime", 35, 294, "anime"),
        ("Horror", 244, 60, "horror"), ("Reality", 10, 237, "reality"), ("Thriller", 171, 60, "thriller"),
        ("Crime", 74, 143, "thriller"), ("International", 55, 161, "international"),
        ("Family", 79, 126, "family"), ("Romance", 146, 40, "romance"), ("Kids", 52, 110, "family"),
        ("Lifestyle & Culture", 10, 145, "lifestyle"), ("Sports", 79, 60, "sports"),
        ("Science Fiction", 62, 60, "scifi"), ("Sitcom", 4, 114, "comedy"), ("Black Stories", 63, 50, "drama"),
        ("News", 16, 90, "documentary"), ("Latino", 42, 50, "international"), ("Mystery", 31, 50, "thriller"),
        ("Cooking & Food", 5, 75, "lifestyle"), ("Music", 59, 20, "music"), ("History", 20, 50, "documentary"),
        ("LGBTQ+", 37, 30, "romance"), ("Science & Technology", 8, 40, "documentary"),
        ("Adult Animation", 2, 35, "comedy"), ("Classics", 25, 10, "drama"), ("Teen", 9, 25, "family"),
        ("Cartoons", 4, 30, "family"), ("Game Shows", 0, 18, "reality"), ("Stand Up", 10, 2, "comedy"),
        ("Health & Wellness", 2, 6, "lifestyle"), ("Late Night", 0, 4, "comedy"),
        ("Sketch Comedy", 0, 3, "comedy"),
    ),
    n_genres_p=(0.23, 0.34, 0.43),
    ratings_movie={"R": 345, "": 290, "PG-13": 163, "PG": 105, "TV-MA": 92, "TV-14": 82, "TV-PG": 49,
                   "TV-G": 36, "G": 18, "TV-Y": 6, "TV-Y7": 4},
    ratings_tv={"TV-14": 609, "TV-MA": 299, "TV-PG": 272, "": 230, "TV-G": 112, "TV-Y7": 42, "TV-Y": 25},
    empty_director=(1.0, 1.0), empty_cast=(1.0, 1.0), empty_country=(0.555, 0.396),
    empty_date=(0.0, 0.018),
    countries_top={"United States": 1097, "Japan": 281, "United Kingdom": 200, "Canada": 88, "Germany": 41,
                   "France": 40, "Australia": 36, "Sweden": 20, "Denmark": 17, "South Korea": 15},
    multi_country=0.073, multi_director=0.0, cast_mean=0.0, cast_max=0,
    minutes=(99.0, 16.0), short_share=0.03, long_share=0.003, long_max=192, p_one_season=0.52,
    year_min=1923, year_uniform=0.12, year_scale=5.0,
    date_range=("2006-07-14", "2021-10-24"),
    date_year_weights={2006: 1, 2008: 2, 2009: 7, 2010: 12, 2011: 16, 2012: 16, 2013: 34, 2014: 49,
                       2015: 69, 2016: 66, 2017: 197, 2018: 270, 2019: 406, 2020: 815, 2021: 1085},
    first_of_month=0.25,
    desc_len=(240.0, 170.0, 30, 1870),
    quirks={"newline_desc": 10, "nbsp_desc": 21, "zwsp_desc_start": 1, "empty_desc": 4,
            # shifted durations: Movie rows with an empty duration (all of them), of which some carry
            # the duration in `rating` (N min, or N Season(s) = a TV show labelled Movie)
            "empty_duration_movie": 479, "minutes_in_rating": 230, "seasons_in_rating": 62},
    odd_ratings={"NOT RATED": 1, "NR": 1},
)

NETFLIX = PlatformSpec(
    name="netflix", stem="netflix_titles", real_count=8807, movie_share=0.696,
    genres=_g(
        ("International Movies", 2752, 0, "international"), ("Dramas", 2427, 0, "drama"),
        ("Comedies", 1674, 0, "comedy"), ("Documentaries", 869, 0, "documentary"),
        ("Action & Adventure", 859, 0, "action"), ("Independent Movies", 756, 0, "drama"),
        ("Children & Family Movies", 641, 0, "family"), ("Romantic Movies", 616, 0, "romance"),
        ("Thrillers", 577, 0, "thriller"), ("Music & Musicals", 375, 0, "music"),
        ("Horror Movies", 357, 0, "horror"), ("Stand-Up Comedy", 343, 0, "comedy"),
        ("Sci-Fi & Fantasy", 243, 0, "scifi"), ("Sports Movies", 219, 0, "sports"),
        ("Classic Movies", 116, 0, "drama"), ("LGBTQ Movies", 102, 0, "romance"),
        ("Anime Features", 71, 0, "anime"), ("Cult Movies", 71, 0, "horror"),
        ("Faith & Spirituality", 65, 0, "lifestyle"), ("Movies", 57, 0, "drama"),
        ("International TV Shows", 0, 1351, "international"), ("TV Dramas", 0, 763, "drama"),
        ("TV Comedies", 0, 581, "comedy"), ("Crime TV Shows", 0, 470, "thriller"),
        ("Kids' TV", 0, 451, "family"), ("Docuseries", 0, 395, "documentary"),
        ("Romantic TV Shows", 0, 370, "romance"), ("Reality TV", 0, 255, "reality"),
        ("British TV Shows", 0, 253, "international"), ("Anime Series", 0, 176, "anime"),
        ("Spanish-Language TV Shows", 0, 174, "international"), ("TV Action & Adventure", 0, 168, "action"),
        ("Korean TV Shows", 0, 151, "international"), ("TV Mysteries", 0, 98, "thriller"),
        ("Science & Nature TV", 0, 92, "documentary"), ("TV Sci-Fi & Fantasy", 0, 84, "scifi"),
        ("TV Horror", 0, 75, "horror"), ("Teen TV Shows", 0, 69, "family"), ("TV Thrillers", 0, 57, "thriller"),
        ("Stand-Up Comedy & Talk Shows", 0, 56, "comedy"), ("Classic & Cult TV", 0, 28, "drama"),
        ("TV Shows", 0, 16, "drama"),
    ),
    n_genres_p=(0.23, 0.35, 0.42),
    ratings_movie={"TV-MA": 2062, "TV-14": 1427, "R": 797, "TV-PG": 540, "PG-13": 490, "PG": 287, "TV-Y7": 139,
                   "TV-Y": 131, "TV-G": 126, "NR": 75, "G": 41, "TV-Y7-FV": 5, "UR": 3, "NC-17": 3, "": 2},
    ratings_tv={"TV-MA": 1145, "TV-14": 733, "TV-PG": 323, "TV-Y7": 195, "TV-Y": 176, "TV-G": 94, "NR": 5,
                "R": 2, "": 2, "TV-Y7-FV": 1},
    empty_director=(0.031, 0.914), empty_cast=(0.077, 0.131), empty_country=(0.072, 0.146),
    empty_date=(0.0, 0.004),
    countries_top={"United States": 3690, "India": 1046, "United Kingdom": 806, "Canada": 445, "France": 393,
                   "Japan": 318, "Spain": 232, "South Korea": 231, "Germany": 226, "Mexico": 169,
                   "China": 162, "Australia": 160, "Egypt": 117, "Turkey": 113, "Hong Kong": 105,
                   "Nigeria": 103},
    multi_country=0.15, multi_director=0.07, cast_mean=8.0, cast_max=50,
    minutes=(101.0, 22.0), short_share=0.05, long_share=0.002, long_max=312, p_one_season=0.67,
    year_min=1925, year_uniform=0.08, year_scale=4.5,
    date_range=("2008-01-01", "2021-09-25"),
    date_year_weights={2008: 2, 2009: 2, 2010: 1, 2011: 13, 2012: 3, 2013: 11, 2014: 24, 2015: 82,
                       2016: 429, 2017: 1188, 2018: 1649, 2019: 2016, 2020: 1879, 2021: 1498},
    first_of_month=0.2,
    desc_len=(143.0, 10.0, 61, 248),
    quirks={"newline_title": 1, "newline_desc": 1, "nbsp_title": 5, "nbsp_desc": 9, "zwsp_title": 5,
            "zwsp_cast": 1, "date_leading_space": 88, "dup_same_year": 3, "nbsp_title_end": 1,
            "empty_duration_movie": 3, "minutes_in_rating": 3},
)

PLATFORM_SPECS: dict[str, PlatformSpec] = {s.name: s for s in (AMAZON, DISNEY, HULU, NETFLIX)}
