/* synth-vocab.h: the word lists vmind-synth builds its titles and abstracts
 * from: MIND's categories with their share of news and subcategories, a
 * vocabulary per category and per subcategory, cross-cutting themes, "hook"
 * words that raise the click rate, function words, and named entities
 * (persons, places) some of which are non-ASCII to exercise UTF-8. All of it
 * written for vmind; nothing is taken from MIND. Each list is one string of
 * words separated by single spaces ('_' inside an entry stands for a space). */
#ifndef VMIND_SYNTH_VOCAB_H
#define VMIND_SYNTH_VOCAB_H

typedef struct synth_cat_def {
	const char *name;
	double share;          /* share of news items, roughly MIND's */
	const char *subcats;   /* space separated, the first is the most common */
	const char *words;     /* vocabulary of the category */
} synth_cat_def;

static const synth_cat_def synth_cats[] = {
	{ "news", 0.300,
	  "newsus newspolitics newsworld newscrime newsscienceandtechnology newsgoodnews newsopinion newslocal",
	  "police officials report county state city court judge charges investigation election senator "
	  "governor mayor vote bill law school students federal department community residents plan "
	  "president congress lawmakers hearing witness jury protest council budget" },
	{ "sports", 0.300,
	  "football_nfl basketball_nba baseball_mlb football_ncaa icehockey_nhl soccer golf more_sports",
	  "game season coach team win loss playoff score quarterback injury trade player fans rookie "
	  "victory defeat league championship record overtime roster draft stadium points rally comeback "
	  "starter tournament rivalry" },
	{ "finance", 0.060,
	  "finance-companies markets personalfinance finance-real-estate financenews finance-savings",
	  "stocks market shares investors company profit earnings billion million dollar prices rates "
	  "bank economy retirement savings tax credit debt mortgage housing sales deal merger layoffs "
	  "quarter revenue inflation" },
	{ "foodanddrink", 0.045,
	  "recipes foodnews restaurantsandnews tipsandtricks newstrends",
	  "recipe dinner chicken pasta cheese bread soup salad dessert chocolate pie cookies kitchen "
	  "restaurant chef menu flavor sauce roasted baked grilled coffee wine breakfast holiday "
	  "turkey pumpkin spicy" },
	{ "lifestyle", 0.050,
	  "lifestylebuzz lifestyleroyals lifestylehomeandgarden lifestyleparenting pets lifestylestyle",
	  "family home wedding mom dad kids dog cat house garden style fashion royal prince princess "
	  "queen baby gift decor couple friends dress holiday tips life love" },
	{ "travel", 0.045,
	  "travelnews travelarticle traveltripideas travel-points",
	  "flight airline airport hotel beach island trip vacation cruise passengers destination resort "
	  "city tourists road travel pilot luggage park mountain journey" },
	{ "video", 0.040,
	  "viral animals newsvideos videolifestyle",
	  "video watch footage clip camera caught moment dog bear puppy rescue viral filmed stunning "
	  "hilarious adorable crowd surprise" },
	{ "weather", 0.040,
	  "weathertopstories weatherfullscreenmaps weather-forecast",
	  "storm snow rain winds cold temperatures forecast freeze weekend flooding hurricane tornado "
	  "warning chill frost heat radar blizzard ice" },
	{ "health", 0.030,
	  "health-news wellness fitness nutrition medical weightloss",
	  "health doctors patients study cancer heart diet sleep brain exercise weight disease hospital "
	  "symptoms vaccine drug risk workout protein body mental" },
	{ "autos", 0.030,
	  "autosnews autoscartech autosenthusiasts autosbuying autosclassics",
	  "car truck engine electric dealer drivers recall model speed sedan pickup horsepower "
	  "suv motor wheels fuel crash highway vehicle garage" },
	{ "tv", 0.015,
	  "tvnews tv-celebrity tvreviews tv-gallery",
	  "show episode series season finale host star network premiere cast fans drama comedy "
	  "reality contestant night" },
	{ "music", 0.012,
	  "musicnews music-celebrity music-awards",
	  "song album singer band concert tour music rapper awards stage fans hit grammy guitar" },
	{ "movies", 0.012,
	  "movienews movies-celebrity movievideo movies-box-office",
	  "movie film director actor actress trailer sequel box office studio cinema role oscar "
	  "premiere screen" },
	{ "entertainment", 0.012,
	  "entertainment-celebrity celebrity entertainmentnews",
	  "celebrity star actress singer photos red carpet divorce romance famous instagram stars "
	  "birthday style interview" },
	{ "kids", 0.0006, "kids",
	  "kids children toys cartoon games school fun learning puzzle" },
	{ "middleeast", 0.0006, "middleeast",
	  "region talks leaders border oil summit ceasefire" },
	{ "northamerica", 0.0006, "northamerica",
	  "canada mexico border trade province leaders" },
};
#define SYNTH_NCAT ((int)(sizeof synth_cats / sizeof synth_cats[0]))

/* Cross-cutting themes: any category can carry any theme, with a different
 * mix per category. */
static const char *const synth_themes[] = {
	"money costs price pay cheap expensive budget spending",
	"crime arrest stolen suspect shooting killed robbery police",
	"family mother father daughter son wife husband grandmother",
	"tech app phone smartphone online digital apple google robot",
	"disaster fire flood crash emergency damage rescue evacuated",
	"holiday thanksgiving christmas november festive celebration gifts season",
	"record historic first biggest fastest milestone ever best",
	"politics trump democrats republicans impeachment white_house campaign vote",
	"science research scientists space nasa discovery climate planet",
	"death dies died memorial tribute funeral mourns legacy",
	"animals dog cat puppy horse wildlife zoo bird",
	"controversy slams backlash criticized fired apology scandal feud",
};
#define SYNTH_NTHEME ((int)(sizeof synth_themes / sizeof synth_themes[0]))

/* Words that make any title more clickable (the model gives each a bonus). */
static const char *synth_hooks =
	"shocking watch photos revealed secret amazing unbelievable why exclusive must_see "
	"heartbreaking incredible";

/* Filler between content words. */
static const char *synth_function_words =
	"the a of to in for on at with after over from as by about how what is are "
	"and his her their new this that says could will gets";

/* Named entities: persons (Type P) and places (Type G). */
static const char *synth_persons =
	"José_Altuve Zoë_Kravitz Renée_Zellweger Thomas_Müller Beyoncé Pedro_Martínez "
	"Ana_Núñez Chloé_Dubois Søren_Nielsen Mark_Jensen Sarah_Miller John_Carter "
	"Emily_Stone Michael_Reed Jessica_Moore David_Park Laura_Chen Kevin_Hart_Jr "
	"Maria_Lopez James_Walker Linda_Brooks Robert_King Chris_Evans_III Nina_Patel "
	"Tom_Bradley Megan_Rapino Luka_Dončić Nikola_Jokić Kylian_Mbappé Gaël_Monfils "
	"Brian_Fox Olivia_Grant Ethan_Hughes Grace_Kim Noah_Bennett Ava_Russell";
static const char *synth_places =
	"Texas California Florida Ohio Chicago Boston Seattle Denver Atlanta Michigan "
	"New_York Los_Angeles Montréal Zürich São_Paulo México_City Bogotá Québec "
	"London Paris Tokyo Arizona Oregon Georgia Minnesota Nevada Kansas Iowa";

/* Syllables the subcategories' own proper nouns (teams, brands, shows) are
 * made of, so that each subcategory has words nobody else uses. */
static const char *synth_syllables =
	"ka ro mi ta ven dor lis bra cor nel sha pri gan tor lu mes qui dal fen har "
	"jo bel tan vik ra sol mar den el os";

#endif
