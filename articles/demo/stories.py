"""The demo newsroom: sections, reporters, tags and stories for `manage.py load_demo`.

Everything here is fictional except the seed story, a real wire story kept as a text
file beside this module so the importer is exercised on real copy. Names of reporters,
companies, players and bands are invented; institutions are real places in a made-up
week of news. Nothing here should be read as fact.

Identity is the slug (sections, authors, stories) or the import key (the seed story):
`load_demo` creates what is missing and never touches what exists.

A story's `body` is a list of blocks: a block that starts with "<" is HTML as written
(subheadings, quotes, lists); any other block is a paragraph and may hold inline HTML.
A story in another language than the site's says so (`"language": "ko"`).
`related` items are {"story": slug} for another demo story or {"headline", "url"} for
a wire headline. `hours_ago` places the publication time relative to the first load.
"""

from pathlib import Path

SEED_FILE = Path(__file__).with_name("000_73df78da11878c21.txt")

YNA = "https://en.yna.co.kr"

SECTIONS = [
    {
        "slug": "nation",
        "name": "Nation",
        "description": "Politics, defense and everyday life across South Korea.",
        # Sky at the top, sky at the horizon, highlights, silhouettes; then in words.
        "palette": ((18, 38, 84), (96, 156, 214), (255, 183, 77), (10, 20, 44)),
        "colours": ("deep navy", "sky blue", "amber"),
    },
    {
        "slug": "north-korea",
        "name": "North Korea",
        "description": "Pyongyang’s weapons, diplomacy and life inside the North.",
        "palette": ((44, 48, 58), (132, 142, 158), (214, 64, 56), (20, 22, 28)),
        "colours": ("charcoal", "steel grey", "signal red"),
    },
    {
        "slug": "business",
        "name": "Business",
        "description": "Markets, companies, trade and the economy.",
        "palette": ((8, 64, 62), (72, 170, 150), (242, 201, 76), (4, 32, 30)),
        "colours": ("dark teal", "sea green", "gold"),
    },
    {
        "slug": "world",
        "name": "World",
        "description": "Korea’s neighbours, allies and the wider world.",
        "palette": ((44, 26, 92), (168, 112, 190), (255, 122, 89), (22, 12, 48)),
        "colours": ("indigo", "lilac", "coral"),
    },
    {
        "slug": "sports",
        "name": "Sports",
        "description": "Football, baseball, golf and the Korean athletes abroad.",
        "palette": ((12, 52, 28), (120, 190, 90), (245, 245, 235), (6, 28, 14)),
        "colours": ("forest green", "spring green", "white"),
    },
    {
        "slug": "culture",
        "name": "Culture",
        "description": "Film, music, books, heritage and the arts.",
        "palette": ((96, 18, 72), (236, 120, 90), (255, 222, 89), (48, 8, 36)),
        "colours": ("plum", "tangerine", "lemon yellow"),
    },
]

AUTHORS = [
    {
        "slug": "kim-min-ji",
        "name": "김민지 (Kim Min-ji)",
        "bio": "Covers defense and foreign affairs from Seoul. Previously reported from "
        "Washington on the South Korea-U.S. alliance.",
    },
    {
        "slug": "park-seo-jun",
        "name": "박서준 (Park Seo-jun)",
        "bio": "North Korea correspondent. Reads Pyongyang’s state media so you don’t have "
        "to, and talks to the people who left.",
    },
    {
        "slug": "lee-ha-eun",
        "name": "이하은 (Lee Ha-eun)",
        "bio": "Economy reporter covering the central bank, exports and the chip industry.",
    },
    {
        "slug": "choi-do-yoon",
        "name": "최도윤 (Choi Do-yoon)",
        "bio": "Sports writer. Football on weekends, baseball all summer, golf when Korean "
        "players contend abroad.",
    },
    {
        "slug": "han-ji-woo",
        "name": "한지우 (Han Ji-woo)",
        "bio": "Culture reporter covering film, music, museums and books.",
    },
    {
        "slug": "yoon-so-hee",
        "name": "윤소희 (Yoon So-hee)",
        "bio": "Seoul city hall and transport reporter; writes for the Korean-language "
        "edition. 서울시청과 교통을 취재합니다.",
    },
    {
        "slug": "rachel-osei",
        "name": "Rachel Osei",
        "bio": "World editor. Joined the newsroom from a wire service’s Asia desk in 2019.",
    },
    {
        "slug": "tomas-ferreira",
        "name": "Tomás Ferreira",
        "bio": "Regional correspondent based in Tokyo, covering Japan and China.",
    },
]

TAGS = [
    "South Korea",
    "United States",
    "North Korea",
    "Defense",
    "Diplomacy",
    "Japan",
    "China",
    "Economy",
    "Semiconductors",
    "Trade",
    "Seoul",
    "Football",
    "Baseball",
    "K-pop",
    "Film",
    "한국어",
]

# The real wire story in 000_73df78da11878c21.txt, imported through the importer.
# Other stories link it with {"story": SEED_REF}; its address comes from its headline.
SEED_REF = "seed"
SEED = {
    "section": "nation",
    "authors": ["kim-min-ji"],
    "tags": ["South Korea", "United States", "Defense", "Diplomacy"],
    "hours_ago": 1,
    "photo": {
        "motif": "skyline",
        "caption": "Seoul at dusk. The defense chiefs spoke by phone in their first call.",
    },
}

STORIES = [
    # ------------------------------------------------------------------ Nation
    {
        "slug": "seoul-extends-late-night-subway-service",
        "section": "nation",
        "headline": "Seoul to extend late-night subway service on four lines from March",
        "dek": "Trains on Lines 2, 5, 7 and 9 will run until 1:30 a.m. on weekdays in a "
        "six-month trial.",
        "authors": ["yoon-so-hee"],
        "tags": ["Seoul", "South Korea"],
        "hours_ago": 20,
        "body": [
            "Seoul will keep trains running on four of its busiest subway lines until 1:30 "
            "a.m. on weekdays from March, the city government said, in a trial aimed at "
            "late-shift workers and easing the scramble for taxis after midnight.",
            "Last trains now leave terminal stations around midnight. Under the plan, the "
            "extended service will cover:",
            "<ul><li>Line 2, the circle line through Gangnam and City Hall</li>"
            "<li>Line 5, between Banghwa and Sangil-dong</li>"
            "<li>Line 7, which links the northeast to Gangnam</li>"
            "<li>Line 9 express trains between Gimpo Airport and Sports Complex</li></ul>",
            "The city estimates about 38,000 additional passengers a night and said it "
            "would add maintenance crews to keep overnight track work on schedule.",
            "“Night workers told us the last hour of the day is the hardest part of their "
            "commute,” a transport official said. The trial runs for six months before a "
            "decision on making it permanent.",
        ],
        "related": [
            {"story": "서울-지하철-심야-운행-연장"},
            {"headline": "More Seoul news from the wire", "url": f"{YNA}/national/index"},
        ],
        "photo": {
            "motif": "skyline",
            "caption": "Seoul’s towers after dark, when the extended trains will run.",
        },
    },
    {
        "slug": "서울-지하철-심야-운행-연장",
        "section": "nation",
        "headline": "서울 지하철 4개 노선, 3월부터 심야 운행 1시간 30분 연장",
        "language": "ko",
        "dek": "2·5·7·9호선 막차가 평일 오전 1시 30분까지 운행된다.",
        "authors": ["yoon-so-hee"],
        "tags": ["Seoul", "한국어"],
        "hours_ago": 21,
        "body": [
            "서울시는 오는 3월부터 지하철 2·5·7·9호선의 평일 막차 시간을 오전 1시 30분까지 "
            "연장한다고 밝혔다. 심야 근무자의 귀갓길 불편을 덜고 자정 이후 택시 승차난을 "
            "완화하기 위한 시범 운영이다.",
            "현재 막차는 종착역 기준으로 자정 무렵 출발한다. 시는 연장 운행으로 하루 평균 "
            "약 3만 8천 명의 승객이 추가로 이용할 것으로 내다봤다.",
            "<h2>유지보수 인력 보강</h2>",
            "운행 시간이 늘어나면 선로 점검에 쓸 수 있는 시간이 줄어든다. 시는 야간 "
            "유지보수 인력을 <strong>20% 늘려</strong> 안전 점검에 차질이 없도록 하겠다고 "
            "설명했다.",
            "시 관계자는 “심야 노동자들에게 하루 중 가장 힘든 시간이 마지막 귀갓길이라는 "
            "목소리가 많았다”며 “6개월 시범 운영 결과를 보고 정식 도입 여부를 결정하겠다”고 "
            "말했다.",
        ],
        "related": [{"story": "seoul-extends-late-night-subway-service"}],
        "photo": {
            "motif": "skyline",
            "caption": "밤의 서울 도심. 연장 운행은 평일에만 적용된다.",
        },
    },
    {
        "slug": "parliament-passes-rental-fraud-relief-bill",
        "section": "nation",
        "headline": "Parliament passes revised rental fraud relief bill after months of wrangling",
        "dek": "Victims of so-called jeonse fraud will be able to buy their homes at auction "
        "with state-backed loans.",
        "authors": ["kim-min-ji", "yoon-so-hee"],
        "tags": ["South Korea", "Seoul"],
        "hours_ago": 50,
        "body": [
            "The National Assembly passed a revised bill to support victims of rental "
            "deposit fraud, ending months of partisan wrangling over how much of their "
            "losses the state should cover.",
            "Thousands of tenants, many of them in their 20s and 30s, lost lump-sum "
            "<em>jeonse</em> deposits when landlords who owned hundreds of villas defaulted.",
            "<h2>What changes for tenants</h2>",
            "<ul><li>Victims get priority to buy the home they rent when it goes to "
            "auction.</li><li>A state housing corporation may buy the property instead and "
            "rent it back to them for up to 10 years.</li><li>Low-interest loans are "
            "extended to tenants whose deposits exceed the current cap.</li></ul>",
            "Tenant groups welcomed the bill but said it still leaves many victims "
            "short. “It is a start, not compensation,” one group said in a statement.",
        ],
        "related": [],
        "photo": {
            "motif": "skyline",
            "caption": "Villa blocks like these were at the centre of the fraud cases.",
        },
    },
    {
        "slug": "heavy-snow-grounds-flights-at-jeju",
        "section": "nation",
        "headline": "Heavy snow grounds flights at Jeju, stranding thousands of travelers",
        "dek": "More than 200 flights were cancelled as snow and strong winds swept the "
        "southern resort island.",
        "authors": ["yoon-so-hee"],
        "tags": ["South Korea"],
        "hours_ago": 70,
        "body": [
            "Heavy snow and gale-force winds grounded more than 200 flights at Jeju "
            "International Airport, leaving thousands of travelers stranded on the southern "
            "resort island, airport officials said.",
            "Up to 15 centimeters of snow fell in coastal areas and more than 40 centimeters "
            "on the slopes of Mount Halla, where hiking trails were closed.",
            "Airlines said they would add extra flights once the runway reopens. Passengers "
            "were advised to check with their carrier before heading to the airport.",
            "The weather agency expects the snow to ease by the evening, though strong "
            "winds may continue to disrupt ferry services to the mainland.",
        ],
        "related": [
            {"headline": "Weather updates from the wire", "url": f"{YNA}/national/index"},
        ],
        "photo": {
            "motif": "mountains",
            "caption": "Snow on Mount Halla closed hiking trails across the island.",
        },
    },
    {
        "slug": "military-expands-reserve-training-drones",
        "section": "nation",
        "headline": "Military to expand reserve forces training with drones and simulators",
        "dek": "The defense ministry wants every reservist unit to train with drones by next year.",
        "authors": ["kim-min-ji"],
        "tags": ["Defense", "South Korea"],
        "hours_ago": 100,
        "body": [
            "South Korea will expand drone and simulator training for its reserve forces, "
            "the defense ministry said, as a shrinking pool of conscripts puts more weight "
            "on reservists in a crisis.",
            "Under the plan, every reservist training center will have small surveillance "
            "drones and shooting simulators by the end of next year, up from about a third "
            "of centers today.",
            "<blockquote><p>“Reservists should train on the equipment they would actually "
            "use, not on what we used 20 years ago.”</p></blockquote>",
            "The ministry said the number of young men reaching enlistment age is expected "
            "to fall by a fifth over the next decade because of the low birth rate.",
        ],
        "related": [
            {"story": "birth-rate-edges-up-second-year"},
            {"headline": "Defense news from the wire", "url": f"{YNA}/nk/index"},
        ],
        "photo": {
            "motif": "abstract",
            "caption": "The ministry plans drones for every reservist training center.",
        },
    },
    {
        "slug": "birth-rate-edges-up-second-year",
        "section": "nation",
        "headline": "Birth rate edges up for second straight year, statistics agency says",
        "dek": "The fertility rate rose to 0.78 as more couples who delayed marriage during "
        "the pandemic started families.",
        "authors": ["kim-min-ji"],
        "tags": ["South Korea", "Economy"],
        "hours_ago": 140,
        "body": [
            "South Korea’s total fertility rate rose for a second straight year, to 0.78, "
            "data from the statistics agency showed, though it remains the lowest among "
            "developed economies.",
            "The number of births increased 3.1 percent from a year earlier, driven by "
            "mothers in their early 30s. Marriages rose 8 percent.",
            "<blockquote><p>“Couples who postponed weddings during the pandemic are now "
            "having children. Whether the rebound lasts depends on housing and childcare "
            "costs.”</p></blockquote>",
            "The government has expanded parental leave and housing subsidies for newlyweds "
            "and plans to review the measures later this year.",
        ],
        "related": [],
        "photo": {
            "motif": "chart",
            "caption": "Births rose for a second year, from a record low.",
        },
    },
    {
        "slug": "lunar-new-year-travel-what-to-know",
        "section": "nation",
        "headline": "Lunar New Year travel: what to know before you go",
        "dek": "Toll-free highways, extra trains and the busiest days to avoid.",
        "authors": ["yoon-so-hee"],
        "tags": ["South Korea", "Seoul"],
        # Scheduled: goes live by itself three days after the first load.
        "scheduled_in_days": 3,
        "body": [
            "About 28 million people are expected to travel during the Lunar New Year "
            "holiday. Here is what to know.",
            "<h2>Roads</h2>",
            "Highway tolls are waived for the three main days of the holiday. Traffic "
            "leaving Seoul is expected to peak on the morning of the first day.",
            "<h2>Trains and buses</h2>",
            "<ul><li>Korail adds 180 trains; tickets open online a week ahead.</li>"
            "<li>Express buses run overnight on major routes.</li></ul>",
        ],
        "related": [],
        "photo": {
            "motif": "mountains",
            "caption": "Millions head to their hometowns over the holiday.",
        },
    },
    # ------------------------------------------------------------- North Korea
    {
        "slug": "n-korea-fires-short-range-ballistic-missiles",
        "section": "north-korea",
        "headline": "N. Korea fires short-range ballistic missiles into East Sea, JCS says",
        "dek": "The launch came days after the South Korea-U.S. defense chiefs’ first phone call.",
        "authors": ["park-seo-jun"],
        "tags": ["North Korea", "Defense", "Japan"],
        "hours_ago": 8,
        "body": [
            "North Korea fired several short-range ballistic missiles into the East Sea, "
            "South Korea’s Joint Chiefs of Staff (JCS) said, its first launch in about "
            "two months.",
            "The missiles were fired from an area near the North’s east coast and flew "
            "about 300 kilometers before landing outside Japan’s exclusive economic zone, "
            "the JCS said.",
            "“Our military has strengthened surveillance and vigilance in preparation for "
            "additional launches and is closely sharing information with the U.S. and "
            "Japan,” the JCS said in a text message to reporters.",
            "The launch came days after the defense chiefs of South Korea and the United "
            "States reaffirmed their alliance in their first phone call.",
        ],
        "related": [
            {"story": SEED_REF},
            {"headline": "Latest North Korea news from the wire", "url": f"{YNA}/nk/index"},
        ],
        "photo": {
            "motif": "sea",
            "caption": "The missiles landed in the East Sea, outside Japan’s economic zone.",
        },
    },
    {
        "slug": "n-korea-unveils-rural-housing-plan",
        "section": "north-korea",
        "headline": "North Korea unveils new 10-year rural housing plan at party meeting",
        "dek": "State media said 50,000 homes a year will be built in farming villages.",
        "authors": ["park-seo-jun"],
        "tags": ["North Korea"],
        "hours_ago": 60,
        "body": [
            "North Korea announced a 10-year plan to build 50,000 rural homes a year, "
            "state media reported, as the leadership pushes to narrow the gap between "
            "Pyongyang and the countryside.",
            "The plan was adopted at a meeting of the ruling Workers’ Party that also "
            "reviewed grain production and the construction of regional factories.",
            "Analysts in Seoul said the plan is in line with the regime’s emphasis on regional "
            "development but questioned whether the North has the cement and steel to "
            "deliver it under international sanctions.",
        ],
        "related": [],
        "photo": None,
    },
    {
        "slug": "unification-ministry-proposes-family-reunion-talks",
        "section": "north-korea",
        "headline": "Unification ministry proposes talks on reunions of separated families",
        "dek": "Seoul urged Pyongyang to answer before more elderly family members die.",
        "authors": ["park-seo-jun", "kim-min-ji"],
        "tags": ["North Korea", "Diplomacy"],
        "hours_ago": 95,
        "body": [
            "South Korea’s unification ministry proposed Red Cross talks with North Korea "
            "on resuming reunions of families separated by the 1950-53 Korean War.",
            "Fewer than 38,000 registered South Koreans with relatives in the North are "
            "still alive, most of them in their 80s and 90s, according to ministry data.",
            "<blockquote><p>“Time is running out for the separated families. This is a "
            "humanitarian issue that should not be tied to politics.”</p></blockquote>",
            "North Korea has not responded to such proposals for years and cut the "
            "inter-Korean liaison hotlines in 2023.",
        ],
        "related": [
            {"headline": "Inter-Korean relations: more from the wire", "url": f"{YNA}/nk/index"},
        ],
        "photo": {
            "motif": "mountains",
            "caption": "Ridges near the inter-Korean border.",
        },
    },
    {
        "slug": "satellite-images-activity-north-korea-nuclear-site",
        "section": "north-korea",
        "headline": "Satellite images suggest expanded activity at N. Korean nuclear site",
        "dek": "A U.S. think tank says a new building at Yongbyon may house centrifuges.",
        "authors": ["park-seo-jun"],
        "tags": ["North Korea", "United States", "Defense"],
        "hours_ago": 130,
        "body": [
            "Commercial satellite images show construction of a large new building at "
            "North Korea’s main nuclear complex in Yongbyon, a Washington-based think tank "
            "said in a report.",
            "The building’s size and layout resemble a known uranium enrichment facility "
            "nearby, suggesting the North may be expanding its capacity to produce "
            "fissile material, the report said.",
            "South Korea’s defense ministry said it was closely watching the site with the "
            "United States but declined to comment on intelligence matters.",
        ],
        "related": [{"story": "n-korea-fires-short-range-ballistic-missiles"}],
        "photo": {
            "motif": "abstract",
            "caption": "An illustration; the think tank’s images were not released to us.",
        },
    },
    {
        "slug": "defector-run-restaurant-taste-of-pyongyang",
        "section": "north-korea",
        "headline": "Defector-run restaurant in Seoul serves up a taste of Pyongyang",
        "dek": "Cold noodles, sundae and stories from home at a small shop in Mapo.",
        "authors": ["park-seo-jun", "han-ji-woo"],
        "tags": ["North Korea", "Seoul"],
        "hours_ago": 200,
        "body": [
            "The line outside the small restaurant in Seoul’s Mapo district starts forming "
            "before 11 a.m. Inside, Ri Song-mi, who left North Korea in 2011, is "
            "stretching buckwheat noodles by hand.",
            "Her <em>naengmyeon</em>, cold noodles in a beef and radish broth, is made the "
            "way her mother made it in Pyongyang, she says: <strong>less vinegar, more "
            "broth</strong>.",
            "About 34,000 North Koreans have resettled in the South. Many struggle to find "
            "work; food is one of the few fields where coming from the North is an asset.",
            "“Customers ask me about home,” Ri said. “I tell them about the food first. "
            "It is easier.”",
        ],
        "related": [],
        "photo": {
            "motif": "abstract",
            "caption": "Ri Song-mi’s restaurant seats 20; the line is often longer.",
        },
    },
    # ---------------------------------------------------------------- Business
    {
        "slug": "exports-rise-fourth-month-chip-demand",
        "section": "business",
        "headline": "Exports rise for 4th straight month on strong chip demand",
        "dek": "Semiconductor shipments jumped 21 percent as AI servers drove memory sales.",
        "authors": ["lee-ha-eun"],
        "tags": ["Economy", "Trade", "Semiconductors"],
        "hours_ago": 5,
        "body": [
            "South Korea’s exports rose for a fourth straight month, driven by strong "
            "demand for memory chips used in artificial intelligence servers, data from "
            "the trade ministry showed.",
            "Outbound shipments rose 7.4 percent from a year earlier. Imports gained 2.1 "
            "percent, leaving a trade surplus for the ninth month in a row.",
            "<h2>Biggest movers</h2>",
            "<ol><li>Semiconductors: up 21 percent</li><li>Ships: up 14 percent</li>"
            "<li>Cars: down 3 percent</li><li>Petrochemicals: down 6 percent</li></ol>",
            "The ministry warned that U.S. tariff plans remain the biggest risk to exports "
            'this year. <a href="https://en.yna.co.kr/economy/index">More economy news '
            "from the wire</a>.",
        ],
        "related": [
            {"story": "hanul-semiconductor-packaging-plant-yongin"},
            {"story": "won-weakens-past-1450-per-dollar"},
        ],
        "photo": {
            "motif": "chart",
            "caption": "Chip exports led the fourth monthly rise in a row.",
        },
    },
    {
        "slug": "central-bank-holds-rate-signals-cut",
        "section": "business",
        "headline": "Central bank holds key rate at 2.75 pct, signals room for a cut",
        "dek": "Policymakers kept borrowing costs unchanged but said slowing growth may "
        "call for easing.",
        "authors": ["lee-ha-eun"],
        "tags": ["Economy"],
        "hours_ago": 30,
        "body": [
            "The Bank of Korea kept its benchmark interest rate at 2.75 percent, as "
            "expected, but said it could lower borrowing costs in the coming months as "
            "growth slows.",
            "<blockquote><p>“Downside risks to growth have increased, while inflation is "
            "expected to remain near our target.”</p></blockquote>",
            "Four of six board members said the rate could come down within three months, "
            "the bank said, up from two at the previous meeting.",
            "Household debt and rising apartment prices in Seoul remain the main reasons "
            "for caution, economists said.",
        ],
        "related": [],
        "photo": {
            "motif": "chart",
            "caption": "The rate has been unchanged for two meetings.",
        },
    },
    {
        "slug": "hanul-semiconductor-packaging-plant-yongin",
        "section": "business",
        "headline": "Chipmaker Hanul Semiconductor to build $8 bln packaging plant in Yongin",
        "dek": "The plant will stack memory chips for AI processors from 2028.",
        "authors": ["lee-ha-eun"],
        "tags": ["Semiconductors", "Economy"],
        "hours_ago": 55,
        "body": [
            "Hanul Semiconductor said it will invest 11.5 trillion won ($8 billion) in an "
            "advanced chip packaging plant in Yongin, south of Seoul, to meet demand for "
            "stacked memory used in AI processors.",
            "The plant is due to start production in 2028 and employ about 2,000 people, "
            "the company said in a regulatory filing.",
            "Packaging, once a low-margin step, has become a bottleneck in the AI chip "
            "supply chain, analysts say.",
        ],
        "related": [{"story": "exports-rise-fourth-month-chip-demand"}],
        "photo": {
            "motif": "abstract",
            "caption": "Hanul’s new plant will stack memory chips for AI processors.",
        },
    },
    {
        "slug": "won-weakens-past-1450-per-dollar",
        "section": "business",
        "headline": "Won weakens past 1,450 per dollar as tariff worries weigh",
        "dek": "The currency hit its weakest level in two months; authorities said they "
        "were watching closely.",
        "authors": ["lee-ha-eun"],
        "tags": ["Economy", "United States", "Trade"],
        "hours_ago": 80,
        "body": [
            "The Korean won weakened past 1,450 per U.S. dollar for the first time in two "
            "months as concerns over U.S. tariffs on Asian exporters weighed on regional "
            "currencies.",
            "The won closed at 1,452.3 per dollar, down 9.1 won from the previous session.",
            "The finance ministry said authorities were closely watching the market and "
            "would act to curb “excessive volatility” if needed.",
        ],
        "related": [],
        "photo": None,
    },
    {
        "slug": "daehan-motors-recalls-evs-battery-software",
        "section": "business",
        "headline": "Daehan Motors recalls 120,000 EVs over battery software glitch",
        "dek": "A software update will fix a fault that can misreport the battery’s charge.",
        "authors": ["lee-ha-eun", "tomas-ferreira"],
        "tags": ["Economy"],
        "hours_ago": 150,
        "body": [
            "Daehan Motors is recalling about 120,000 electric vehicles in South Korea and "
            "overseas to fix battery management software that can overstate the remaining "
            "charge, the transport ministry said.",
            "No accidents have been linked to the fault. Owners can get the update at "
            "service centers, and most cars will also receive it over the air.",
            "The recall covers models built over an 18-month period, including about "
            "30,000 vehicles sold in Japan and Europe.",
        ],
        "related": [],
        "photo": {
            "motif": "skyline",
            "caption": "Most of the recalled cars will be fixed over the air.",
        },
    },
    {
        "slug": "seoul-apartment-prices-climb-10th-week",
        "section": "business",
        "headline": "Seoul apartment prices climb for 10th straight week",
        "dek": "Prices in Gangnam led gains as buyers bet on a shortage of new homes.",
        "authors": ["lee-ha-eun", "yoon-so-hee"],
        "tags": ["Seoul", "Economy"],
        "hours_ago": 210,
        "body": [
            "Apartment prices in Seoul rose for a 10th consecutive week, led by the "
            "affluent Gangnam district, as buyers bet that a shortage of new homes will "
            "keep pushing prices up, data from a state property agency showed.",
            "Prices rose 0.2 percent from the previous week, the fastest pace in six "
            "months. Prices outside the capital area fell slightly.",
            "The government said it would announce additional housing supply measures "
            "within the month.",
        ],
        "related": [{"story": "central-bank-holds-rate-signals-cut"}],
        "photo": {
            "motif": "skyline",
            "caption": "Apartment towers in southern Seoul.",
        },
    },
    {
        "slug": "year-end-tax-settlement-guide",
        "section": "business",
        "headline": "Year-end tax settlement: what changes this year",
        "dek": "Higher deductions for credit card spending and childcare.",
        "authors": ["lee-ha-eun"],
        "tags": ["Economy"],
        # A draft: shows editors the workflow; the public never sees it.
        "status": "draft",
        "body": [
            "Salaried workers can claim larger deductions for card spending and "
            "childcare in this year’s settlement. [Editor: add the deadline table.]",
        ],
        "related": [],
        "photo": None,
    },
    # ------------------------------------------------------------------- World
    {
        "slug": "korea-japan-china-agree-resume-trilateral-summit",
        "section": "world",
        "headline": "S. Korea, Japan, China agree to resume trilateral summit this year",
        "dek": "The three foreign ministers met in Tokyo for the first time in 18 months.",
        "authors": ["tomas-ferreira"],
        "tags": ["Japan", "China", "Diplomacy", "South Korea"],
        "hours_ago": 12,
        "body": [
            "The foreign ministers of South Korea, Japan and China agreed to hold a "
            "three-way summit later this year, their first since 2024, after meeting in "
            "Tokyo.",
            "The ministers discussed trade, aging populations and disaster response, and "
            "agreed to restart working-level talks on a three-way free trade agreement.",
            "“Our three countries share a region and a future,” the host minister said at "
            "a joint news conference.",
            "North Korea was also on the agenda, though the joint statement did not "
            "mention denuclearization, reflecting differences between Beijing and the "
            "other two.",
        ],
        "related": [
            {"story": SEED_REF},
            {"headline": "More diplomacy news from the wire", "url": f"{YNA}/politics/index"},
        ],
        "photo": {
            "motif": "abstract",
            "caption": "Three ministers, one table: the talks ran over by two hours.",
        },
    },
    {
        "slug": "japan-ruling-party-new-leader-snap-election",
        "section": "world",
        "headline": "Japan’s ruling party picks new leader ahead of expected snap election",
        "dek": "The new leader is set to become prime minister this week.",
        "authors": ["tomas-ferreira"],
        "tags": ["Japan"],
        "hours_ago": 45,
        "body": [
            "Japan’s ruling party elected a new leader in a runoff "
            "vote, putting the former foreign minister on course to become prime minister "
            "this week.",
            "The new leader is widely expected to call a snap general election within "
            "months to seek a fresh mandate.",
            "Seoul said it hoped to keep improving ties with Tokyo, which have warmed "
            "since 2023 after years of disputes over wartime history.",
        ],
        "related": [],
        "photo": {
            "motif": "mountains",
            "caption": "The vote went to a runoff for the first time in four years.",
        },
    },
    {
        "slug": "china-factory-activity-contracts-third-month",
        "section": "world",
        "headline": "China’s factory activity contracts for third straight month",
        "dek": "New export orders fell to their lowest level in a year.",
        "authors": ["rachel-osei"],
        "tags": ["China", "Economy", "Trade"],
        "hours_ago": 75,
        "body": [
            "China’s factory activity shrank for a third straight month as new export "
            "orders fell, an official survey showed, adding pressure on Beijing to step "
            "up support for the economy.",
            "The official purchasing managers’ index came in at 49.2, below the 50 mark "
            "that separates growth from contraction.",
            "China is South Korea’s largest trading partner, and weaker Chinese demand "
            "weighs on Korean exports of chemicals and machinery.",
        ],
        "related": [{"story": "exports-rise-fourth-month-chip-demand"}],
        "photo": {
            "motif": "chart",
            "caption": "The index has been below 50 for three months.",
        },
    },
    {
        "slug": "us-lawmakers-visit-seoul-shipbuilding-cooperation",
        "section": "world",
        "headline": "U.S. lawmakers visit Seoul, pledge support for shipbuilding cooperation",
        "dek": "The bipartisan delegation toured a shipyard in Ulsan.",
        "authors": ["rachel-osei", "kim-min-ji"],
        "tags": ["United States", "South Korea", "Diplomacy", "Trade"],
        "hours_ago": 110,
        "body": [
            "A bipartisan delegation of U.S. lawmakers visited Seoul and pledged support "
            "for closer cooperation with South Korea in shipbuilding, including the "
            "maintenance of U.S. Navy vessels.",
            "The delegation toured a shipyard in the southeastern city of Ulsan, where "
            "workers are repairing a U.S. Navy supply ship under a contract signed last "
            "year.",
            "“Korea builds the best ships in the world, and we want more of them working "
            "with our fleet,” one lawmaker told reporters.",
        ],
        "related": [{"story": SEED_REF}],
        "photo": {
            "motif": "sea",
            "caption": "Ulsan’s shipyards repair U.S. Navy supply ships.",
        },
    },
    {
        "slug": "typhoon-batters-philippines-heads-okinawa",
        "section": "world",
        "headline": "Typhoon batters northern Philippines, heads toward Okinawa",
        "dek": "Tens of thousands were evacuated ahead of winds of up to 180 kph.",
        "authors": ["tomas-ferreira"],
        "tags": ["Japan"],
        "hours_ago": 160,
        "body": [
            "A powerful typhoon battered the northern Philippines with winds of up to "
            "180 kilometers per hour, forcing tens of thousands of people from their homes, "
            "before heading toward Japan’s Okinawa islands.",
            "Flights and ferries were cancelled across the region. Japan’s weather agency "
            "warned of high waves and landslides.",
            "The storm is expected to weaken over cooler waters before it nears Jeju Island "
            "later in the week, South Korean forecasters said.",
        ],
        "related": [],
        "photo": {
            "motif": "sea",
            "caption": "High waves were forecast across the region.",
        },
    },
    # ------------------------------------------------------------------ Sports
    {
        "slug": "s-korea-beats-australia-asian-cup-quarterfinals",
        "section": "sports",
        "headline": "S. Korea beats Australia 2-1 to reach Asian Cup quarterfinals",
        "dek": "A stoppage-time winner from Lee Jae-won sent South Korea through.",
        "authors": ["choi-do-yoon"],
        "tags": ["Football", "South Korea"],
        "hours_ago": 15,
        "body": [
            "Substitute Lee Jae-won scored in stoppage time as South Korea came from "
            "behind to beat Australia 2-1 and reach the quarterfinals of the Asian Cup.",
            "Australia took the lead early in the second half before captain Hwang "
            "Min-seok equalized with a free kick in the 71st minute.",
            "<blockquote><p>“We never stopped believing. This team fights until the last "
            "second.” — Hwang Min-seok</p></blockquote>",
            "South Korea will face Iran in the quarterfinals.",
        ],
        "related": [{"story": "s-korea-wont-be-top-seed-world-cup-qualification"}],
        "photo": {
            "motif": "stadium",
            "caption": "The winner came in the 94th minute.",
        },
    },
    {
        "slug": "s-korea-wont-be-top-seed-world-cup-qualification",
        "section": "sports",
        # Straight apostrophe on purpose: the seed story lists this headline with a
        # curly one, and the importer links them anyway.
        "headline": "S. Korea won't be top seed in final World Cup qualification round",
        "dek": "A draw against Thailand cost South Korea a place in the top pot.",
        "authors": ["choi-do-yoon"],
        "tags": ["Football", "South Korea"],
        "hours_ago": 120,
        "body": [
            "South Korea will not be among the top seeds for the final round of Asian "
            "qualifying for the World Cup after a draw against Thailand, the Korea Football "
            "Association said.",
            "The team will be drawn from the second pot, meaning it could face Japan or "
            "Iran in its group.",
            "The draw for the final round will be held next month.",
        ],
        "related": [],
        "photo": {
            "motif": "stadium",
            "caption": "The draw for the final round is next month.",
        },
    },
    {
        "slug": "kbo-unveils-pitch-clock-bigger-bases",
        "section": "sports",
        "headline": "KBO unveils pitch clock and bigger bases for new season",
        "dek": "Pitchers will have 18 seconds between pitches with the bases empty.",
        "authors": ["choi-do-yoon"],
        "tags": ["Baseball"],
        "hours_ago": 40,
        "body": [
            "The Korea Baseball Organization (KBO) will introduce a pitch clock and larger "
            "bases this season in a bid to speed up games that last more than three hours "
            "on average.",
            "<ul><li>18 seconds between pitches with the bases empty, 23 with runners "
            "on</li><li>Bases enlarged from 15 to 18 inches square</li><li>A limit of two "
            "pickoff attempts per plate appearance</li></ul>",
            "The league tested the rules in the minor league last year, cutting average "
            "game time by about 20 minutes.",
        ],
        "related": [],
        "photo": {
            "motif": "stadium",
            "caption": "Games averaged more than three hours last season.",
        },
    },
    {
        "slug": "kim-ha-ram-scores-twice-bundesliga-comeback",
        "section": "sports",
        "headline": "Midfielder Kim Ha-ram scores twice in Bundesliga comeback",
        "dek": "The Korean midfielder returned from a four-month knee injury.",
        "authors": ["choi-do-yoon"],
        "tags": ["Football"],
        "hours_ago": 90,
        "body": [
            "South Korean midfielder Kim Ha-ram scored twice in his first Bundesliga start "
            "in four months, leading his side to a 3-1 win.",
            "Kim, 26, had been out since tearing a knee ligament in October. He scored "
            "with a header in the 12th minute and a low shot after the break.",
            "“I dreamed about this game for months,” Kim said. “It felt like a debut.”",
        ],
        "related": [],
        "photo": None,
    },
    {
        "slug": "golfer-park-ye-rin-wins-first-lpga-title",
        "section": "sports",
        "headline": "Golfer Park Ye-rin wins first LPGA title in playoff",
        "dek": "The 23-year-old birdied the second extra hole in Florida.",
        "authors": ["choi-do-yoon"],
        "tags": ["United States", "South Korea"],
        "hours_ago": 180,
        "body": [
            "South Korea’s Park Ye-rin won her first LPGA Tour title, birdieing the second "
            "playoff hole in Florida.",
            "Park, 23, finished regulation at 14 under par, tied with a Swedish player, "
            "after a closing round of 67.",
            "She is the third South Korean winner on the tour this season.",
        ],
        "related": [
            {"headline": "LPGA golfer Chun In-gee finally back in action"},
            {"headline": "More sports news from the wire", "url": f"{YNA}/sports/index"},
        ],
        "photo": {
            "motif": "mountains",
            "caption": "The playoff went to a second extra hole.",
        },
    },
    # ----------------------------------------------------------------- Culture
    {
        "slug": "starlight-seven-tops-billboard-200",
        "section": "culture",
        "headline": "K-pop group Starlight 7 tops Billboard 200 with first full album",
        "dek": "The seven-member group is the fourth K-pop act to reach No. 1 on the chart.",
        "authors": ["han-ji-woo"],
        "tags": ["K-pop", "United States"],
        "hours_ago": 10,
        "body": [
            "K-pop boy band Starlight 7 topped the Billboard 200 albums chart with its "
            "first full-length album, <em>Northern Lights</em>, the group’s agency said.",
            "The album sold the equivalent of 142,000 units in the United States in its "
            "first week, most of them physical copies.",
            "The group starts a North American tour next month with 12 arena shows.",
        ],
        "related": [],
        "photo": {
            "motif": "abstract",
            "caption": "Starlight 7 starts a 12-show arena tour next month.",
        },
    },
    {
        "slug": "busan-festival-opens-debut-feature",
        "section": "culture",
        "headline": "Busan film festival to open with debut feature by Jang Mi-rae",
        "dek": "The first-time director’s drama follows three sisters on a fishing island.",
        "authors": ["han-ji-woo"],
        "tags": ["Film"],
        "hours_ago": 35,
        "body": [
            "The Busan International Film Festival will open with <em>Low Tide</em>, the "
            "first feature by director Jang Mi-rae, organizers said.",
            "The film follows three sisters who return to the fishing island where they "
            "grew up after their mother’s death.",
            "<blockquote><p>“It is a quiet film about loud families.” — Jang Mi-rae"
            "</p></blockquote>",
            "This year’s festival will screen 224 films from 63 countries.",
        ],
        "related": [],
        "photo": {
            "motif": "sea",
            "caption": "Low Tide was shot on an island off the southern coast.",
        },
    },
    {
        "slug": "해운대-빛-축제-개막",
        "section": "culture",
        "headline": "부산 해운대 빛 축제 개막…겨울 바다 밝힌다",
        "language": "ko",
        "dek": "해운대 해수욕장 일대에 한 달간 조형물과 조명이 설치된다.",
        "authors": ["yoon-so-hee"],
        "tags": ["한국어"],
        "hours_ago": 65,
        "body": [
            "부산 해운대 해수욕장 일대에서 겨울 빛 축제가 개막했다. 축제는 다음 달 말까지 "
            "이어진다.",
            "올해는 <strong>‘바다의 별’</strong>을 주제로 백사장과 구남로 일대에 대형 조형물 "
            "40여 점이 설치됐다.",
            "구청 관계자는 “겨울에도 해운대를 찾는 관광객이 늘고 있다”며 “안전 요원을 "
            "배치해 혼잡에 대비하겠다”고 말했다.",
        ],
        "related": [],
        "photo": {
            "motif": "sea",
            "caption": "해운대 해수욕장의 겨울 바다.",
        },
    },
    {
        "slug": "national-museum-reopens-celadon-gallery",
        "section": "culture",
        "headline": "National Museum reopens Goryeo celadon gallery after renovation",
        "dek": "The gallery now shows 250 pieces, including two national treasures.",
        "authors": ["han-ji-woo"],
        "tags": ["Seoul"],
        "hours_ago": 85,
        "body": [
            "The National Museum of Korea in Seoul reopened its gallery of Goryeo Dynasty "
            "celadon after a two-year renovation, with new lighting designed to show the "
            "jade-green glaze as it looks in daylight.",
            "The gallery displays about 250 pieces, nearly double the number shown "
            "before, including two designated national treasures.",
            "Admission is free. The museum is open late on Wednesdays and Saturdays.",
        ],
        "related": [],
        "photo": {
            "motif": "abstract",
            "caption": "The new lighting shows the glaze as it looks in daylight.",
        },
    },
    {
        "slug": "hangul-day-linguists-debate-loanwords",
        "section": "culture",
        "headline": "On Hangul Day, linguists debate the flood of English loanwords",
        "dek": "A survey found one in three official documents uses English terms where "
        "Korean ones exist.",
        "authors": ["han-ji-woo", "yoon-so-hee"],
        "tags": ["Seoul", "한국어"],
        "hours_ago": 220,
        "body": [
            "As South Korea marked Hangul Day, celebrating the Korean alphabet, a survey "
            "by a language institute found that one in three official documents uses "
            "English loanwords where Korean words exist.",
            "Words such as <em>kick-off</em> for launch events and <em>roadmap</em> for "
            "plans are common in government press releases, the institute said.",
            "Some linguists say loanwords are a natural part of a living language. Others "
            "say they shut out older readers.",
        ],
        "related": [],
        "photo": None,
    },
    # ------------------------------------------------------------------ Live coverage
    # Covered live: the page shows its updates newest first and asks for new ones
    # (articles/live/). `live_updates`: (minutes ago, headline, text, key event).
    {
        "slug": "typhoon-live-updates",
        "section": "nation",
        "headline": "Typhoon nears Jeju: live updates",
        "dek": "Flights grounded and ferries halted as the storm approaches the southern "
        "coast. Follow the latest as it happens.",
        "authors": ["yoon-so-hee"],
        "tags": ["South Korea"],
        "hours_ago": 3,
        "body": [
            "A typhoon packing winds of up to 40 metres a second is moving north towards "
            "Jeju Island and is expected to make landfall on the southern coast tonight, "
            "the weather agency said.",
        ],
        "related": [],
        "photo": None,
        "live_updates": [
            (
                170,
                "Coverage begins",
                "Good afternoon. We are following the typhoon as it "
                "approaches Jeju; updates will appear here as the storm moves north.",
                False,
            ),
            (
                120,
                "",
                "The weather agency raised its typhoon warning for Jeju and the "
                "southern coast to the highest level.",
                False,
            ),
            (
                75,
                "Flights grounded",
                "All flights to and from Jeju International Airport "
                "have been cancelled for the rest of the day, the airport operator said.",
                True,
            ),
            (
                40,
                "",
                "Ferries between Mokpo and Jeju are halted; coastal roads in "
                "Seogwipo are closed to traffic.",
                False,
            ),
            (
                10,
                "Shelters open",
                "Local governments on the southern coast have opened "
                "shelters in schools and community centres.",
                True,
            ),
        ],
    },
]
