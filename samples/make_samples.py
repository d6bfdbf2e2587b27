"""Regenerate the sample files: ``python samples/make_samples.py`` (deterministic).

``contacts.csv``: 1,200 realistic rows (unicode names, tags, custom attributes, phones written every way
people write them) with deliberate bad rows of each kind; ``contacts.parquet``: the same rows, typed.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

import phonenumbers
import polars as pl

HERE = Path(__file__).resolve().parent
FIRST = [
    "Aarav",
    "Priya",
    "Rohan",
    "Ananya",
    "Vikram",
    "Saanvi",
    "Arjun",
    "Diya",
    "Kabir",
    "Meera",
    "José",
    "Zoë",
    "Łukasz",
    "Søren",
    "Chloé",
    "Ömer",
    "Nguyễn",
    "Aïsha",
    "Siddharth",
    "Lakshmi",
    "Farhan",
    "Ishaan",
    "Kavya",
    "Renée",
    "François",
    "अमित",
    "சரவணன்",
    "Σοφία",
    "Дмитрий",
    "美咲",
]
LAST = [
    "Sharma",
    "Patel",
    "Iyer",
    "Reddy",
    "Nair",
    "Gupta",
    "Khan",
    "Das",
    "Müller",
    "García",
    "Øvergaard",
    "Dubois",
    "Kowalski",
    "Yılmaz",
    "Menon",
    "Banerjee",
    "Fernandes",
    "D'Souza",
    "Chatterjee",
    "O'Brien",
]
CITIES = [
    ("Mumbai", "Maharashtra", "400001"),
    ("Bengaluru", "Karnataka", "560001"),
    ("Chennai", "Tamil Nadu", "600001"),
    ("Kolkata", "West Bengal", "700001"),
    ("Pune", "Maharashtra", "411001"),
    ("Hyderabad", "Telangana", "500001"),
    ("Kochi", "Kerala", "682001"),
    ("Jaipur", "Rajasthan", "302001"),
]
PLANS = ["ACTIVE", "EXPIRED", "TRIAL", "PAUSED"]
TAGS = ["premium", "whatsapp_user", "newsletter", "vip", "churn_risk", "referral", "b2b", "festive_offer"]
COLUMNS = [
    "phone",
    "first_name",
    "last_name",
    "email",
    "company",
    "city",
    "state",
    "zipcode",
    "plan_status",
    "recharge_amount",
    "signup_date",
    "timezone",
    "tags",
]


def mobile(rng: random.Random) -> str:
    while True:
        digits = str(rng.choice("6789")) + "".join(rng.choice("0123456789") for _ in range(9))
        if phonenumbers.is_valid_number(phonenumbers.parse("+91" + digits)):
            return digits


def written(digits: str, rng: random.Random) -> str:
    """The same mobile number as people and spreadsheets write it."""
    style = rng.randrange(6)
    return [
        f"+91 {digits[:5]}-{digits[5:]}",
        f"0{digits[:5]} {digits[5:]}",
        f"(+91) {digits[:5]} {digits[5:]}",
        digits,
        f"91{digits}",
        f"+91{digits}",
    ][style]


def rows(count: int, seed: int = 7) -> list[dict[str, str]]:
    rng = random.Random(seed)
    result = []
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        city, state, zipcode = rng.choice(CITIES)
        digits = mobile(rng)
        ascii_name = "".join(ch for ch in f"{first}.{last}".lower() if ch.isascii() and (ch.isalnum() or ch == "."))
        result.append(
            {
                "phone": written(digits, rng),
                "first_name": first,
                "last_name": last,
                "email": f"{ascii_name or 'contact'}{index}@example.com" if rng.random() < 0.8 else "",
                "company": rng.choice(["Acme Traders", "Globex India", "Initech", "", "Sharma & Sons"]),
                "city": city,
                "state": state,
                "zipcode": zipcode,
                "plan_status": rng.choice(PLANS),
                "recharge_amount": str(rng.choice([199, 299, 499, 500, 999, 1499])),
                "signup_date": (dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(700))).isoformat(),
                "timezone": "Asia/Kolkata",
                "tags": ";".join(rng.sample(TAGS, rng.randrange(0, 4))),
            }
        )
    bad = [
        ("phone", "12345"),
        ("phone", "not a phone"),
        ("phone", "9.19877E+11"),
        ("phone", ""),
        ("first_name", None),
        ("email", "priya.at.example.com"),
        ("recharge_amount", "five hundred"),
    ]
    for slot, (column, value) in zip(range(37, count, 97), bad * 3, strict=False):
        row = result[slot]
        if column == "first_name":
            row["first_name"] = row["last_name"] = ""
        else:
            row[column] = value
    result[50]["phone"] = "9.19876543210E+11"  # scientific notation with every digit: accepted
    for slot in range(400, count, 151):  # the same phone again, written differently
        result[slot]["phone"] = "+" + result[slot - 300]["phone"].replace("+", "").replace("(", "").replace(")", "")
        if not result[slot - 300]["phone"].strip() or "E" in result[slot - 300]["phone"]:
            result[slot]["phone"] = result[slot - 300]["phone"]
    return result


def main() -> None:
    data = rows(1200)
    with open(HERE / "contacts.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(data)
    frame = pl.DataFrame(data, schema={name: pl.String for name in COLUMNS})
    frame = frame.with_columns(
        pl.col("recharge_amount").cast(pl.Int64, strict=False),
        pl.col("signup_date").str.to_date(),
    )
    frame.write_parquet(HERE / "contacts.parquet")


if __name__ == "__main__":
    main()
