"""Demo data for `seed_demo`: partners, a product catalogue, Russian names, FAQ entries."""

PARTNERS = {
    "Копилка Маркет": [
        ("Тверская", "Москва, ул. Тверская, 12"),
        ("Невский", "Санкт-Петербург, Невский пр., 48"),
    ],
    "Кофейня Зерно": [("Патриаршие", "Москва, Малая Бронная ул., 21")],
}
MARKET, COFFEE = PARTNERS

# sku, name, category, price, redeemable (tobacco and alcohol cannot be paid with points)
CATALOG = {
    MARKET: [
        ("100101", "Молоко 3,2 % 1 л", "молочные продукты", "89.90", True),
        ("100102", "Сыр российский 200 г", "молочные продукты", "249.00", True),
        ("100103", "Йогурт греческий", "молочные продукты", "79.50", True),
        ("100201", "Хлеб бородинский", "выпечка", "65.00", True),
        ("100301", "Яблоки голден 1 кг", "овощи и фрукты", "159.00", True),
        ("100302", "Бананы 1 кг", "овощи и фрукты", "129.00", True),
        ("100401", "Кофе в зёрнах 1 кг", "бакалея", "1890.00", True),
        ("100402", "Оливковое масло 0,5 л", "бакалея", "799.00", True),
        ("100403", "Паста спагетти", "бакалея", "139.00", True),
        ("100501", "Говядина вырезка 1 кг", "мясо", "1450.00", True),
        ("100502", "Сёмга охлаждённая 1 кг", "рыба", "2390.00", True),
        ("100601", "Вино красное сухое 0,75 л", "алкоголь", "990.00", False),
        ("100701", "Сигареты", "табак", "230.00", False),
        ("100801", "Порошок стиральный", "бытовая химия", "649.00", True),
    ],
    COFFEE: [
        ("200101", "Капучино", "напитки", "220.00", True),
        ("200102", "Латте", "напитки", "240.00", True),
        ("200103", "Американо", "напитки", "180.00", True),
        ("200201", "Круассан", "выпечка", "160.00", True),
        ("200202", "Чизкейк", "десерты", "320.00", True),
        ("200301", "Кофе в зёрнах 250 г", "зерно", "690.00", True),
    ],
}

MALE_FIRST = [
    "Александр",
    "Дмитрий",
    "Максим",
    "Сергей",
    "Андрей",
    "Алексей",
    "Артём",
    "Илья",
    "Кирилл",
    "Михаил",
    "Никита",
    "Иван",
    "Егор",
    "Павел",
    "Роман",
]
FEMALE_FIRST = [
    "Анна",
    "Мария",
    "Елена",
    "Ольга",
    "Наталья",
    "Татьяна",
    "Ирина",
    "Екатерина",
    "Светлана",
    "Юлия",
    "Дарья",
    "Анастасия",
    "Ксения",
    "Полина",
    "Виктория",
]
LAST_MALE = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
    "Семёнов",
    "Егоров",
    "Павлов",
    "Козлов",
    "Степанов",
    "Николаев",
    "Орлов",
    "Зайцев",
]
TRANSLIT = dict(zip("абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
                    ["a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "y", "k", "l", "m", "n",
                     "o", "p", "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "sch", "", "y", "",
                     "e", "yu", "ya"]))  # fmt: skip
EMAIL_DOMAINS = ["example.ru", "example.com", "mail.example.org"]
OPERATOR_CODES = ["903", "905", "910", "912", "915", "916", "925", "926", "977", "985", "999"]

FAQ = [
    (
        "Как начисляются баллы?",
        "За каждую покупку по ставке вашего уровня: на Базовом — 1 балл за 50 ₽, на Серебряном "
        "— за 40 ₽, на Золотом — за 30 ₽. Баллы округляются вниз до целого.",
        "How are points earned?",
        "On every purchase at your tier's rate: 1 point per 50 ₽ at Base, per 40 ₽ at Silver, "
        "per 30 ₽ at Gold. Points are rounded down to a whole point.",
    ),
    (
        "Сколько баллов можно списать?",
        "Баллами можно оплатить до 30 % чека. Табак и алкоголь баллами не оплачиваются.",
        "How many points can I spend?",
        "Points can pay for up to 30 % of a check. Tobacco and alcohol cannot be paid with points.",
    ),
    (
        "Сгорают ли баллы?",
        "Да, баллы действуют 6 месяцев с даты начисления. Мы напомним заранее, если они скоро "
        "сгорят.",
        "Do points expire?",
        "Yes, points live 6 months from the day they were earned. We remind you before they "
        "expire.",
    ),
    (
        "Что будет с баллами при возврате?",
        "Баллы, начисленные за возвращённый товар, списываются, а баллы, которыми он был оплачен, "
        "возвращаются на счёт со своим прежним сроком действия.",
        "What happens to points on a refund?",
        "Points earned on the returned goods are taken back; points that paid for them come "
        "back to your account with their original expiry.",
    ),
]

# The campaigns the demo runs (a campaigns file's entries: docs/CAMPAIGNS.md); the purchase ones
# apply to the demo's checks, the event ones on joining, birthdays, referrals and challenges.
DAIRY = "молочные продукты"
CAMPAIGNS = [
    {
        "code": "x2-saturday",
        "name": "×2 баллов по субботам",
        "description": "По субботам баллы за покупки удваиваются.",
        "description_en": "Double points on Saturdays.",
        "kind": "promo",
        "state": "active",
        "conditions": {"weekday": [6]},
        "effect": "multiplier",
        "value": "2",
        "stacking_group": "rate",
    },
    {
        "code": "plus20-from-2000",
        "name": "+20 % баллов за чек от 2 000 ₽",
        "description": "Чек от 2 000 ₽ — на 20 % больше баллов.",
        "description_en": "20 % more points on checks from 2,000 ₽.",
        "kind": "promo",
        "state": "active",
        "conditions": {"check_amount": {"gte": "2000"}},
        "effect": "percent",
        "value": "20",
        "stacking_group": "rate",
        "holdout_percent": 10,
    },
    {
        "code": "dairy-10-per-100",
        "name": "10 баллов за каждые 100 ₽ на молочные продукты",
        "description": "Молоко, сыр и йогурты — 10 баллов за каждые 100 ₽.",
        "description_en": "Milk, cheese and yoghurt: 10 points per 100 ₽.",
        "kind": "promo",
        "state": "active",
        "lines": {"categories": [DAIRY]},
        "effect": "per_amount",
        "value": "10",
        "per_amount": "100",
        "stacking_group": "dairy",
        "bonus_lifetime_days": 30,
    },
    {
        "code": "bigger-checks",
        "name": "Больше чек — больше баллов",
        "description": "От 3 000 ₽ — +50 баллов, от 5 000 ₽ — +150 баллов.",
        "description_en": "From 3,000 ₽: +50 points; from 5,000 ₽: +150 points.",
        "kind": "steps",
        "state": "active",
        "steps": [{"from": "3000", "points": 50}, {"from": "5000", "points": 150}],
        "stacking_group": "steps",
    },
    {
        "code": "welcome",
        "name": "Приветственные баллы",
        "description": "100 баллов за вступление в программу; действуют 30 дней.",
        "description_en": "100 points for joining; they last 30 days.",
        "kind": "welcome",
        "state": "active",
        "effect": "fixed",
        "value": "100",
        "bonus_lifetime_days": 30,
    },
    {
        "code": "birthday",
        "name": "С днём рождения!",
        "description": "300 баллов за 3 дня до дня рождения и неделю после; действуют 14 дней.",
        "description_en": "300 points from 3 days before your birthday to a week after.",
        "kind": "birthday",
        "state": "active",
        "effect": "fixed",
        "value": "300",
        "params": {"days_before": 3, "days_after": 7},
        "bonus_lifetime_days": 14,
    },
    {
        "code": "referral",
        "name": "Приведи друга",
        "description": "Другу — 200 баллов при вступлении, вам — 300 после его первой покупки.",
        "description_en": "Your friend gets 200 points on joining, you 300 after their first "
        "purchase.",
        "kind": "referral",
        "state": "active",
        "effect": "fixed",
        "value": "200",
        "params": {"referrer_points": 300, "max_per_referrer": 10},
    },
    {
        "code": "five-visits-30-days",
        "name": "5 покупок за 30 дней",
        "description": "Сделайте 5 покупок за 30 дней и получите 250 баллов.",
        "description_en": "Make 5 purchases within 30 days and get 250 points.",
        "kind": "challenge",
        "state": "active",
        "effect": "fixed",
        "value": "250",
        "params": {"goal": "visits", "count": 5, "window_days": 30},
    },
]
# Campaigns that started this many days before the demo's today (the others run all along): a
# challenge counts the member's purchases again after each one, so over the whole history it
# would slow the demo's loading several times over.
STARTED_DAYS_AGO = {"five-visits-30-days": 30}


def translit(text: str) -> str:
    return "".join(TRANSLIT.get(ch, ch) for ch in text.lower())
