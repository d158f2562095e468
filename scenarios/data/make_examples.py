"""Write the two SYNTHETIC example tables that the bundled rules score (see README.md here).

    python scenarios/data/make_examples.py          # rewrites both CSVs, same numbers every time

hangzhou-2011-units.csv: 66 municipal units (as in Hangzhou's 2005 round), shaped like the public
2005 figures: 社会评价 spans exactly 37.12-42.61 of 50; target completion near its ceiling (50 of 66
units at 100 % on key targets); 31 of 66 units with 创新创优 points; one unit vetoed.
mlr-2011-units.csv: 30 units of the Ministry of Land and Resources (14 司局, 9 督察局, 7 直属单位)
with marks out of 100 for the six indicator areas and the four rater columns.
Nothing here is real data: names are real-sounding unit names, values are random.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from perfsim.empirical.synthetic import HANGZHOU_UNITS

SEED = 2011
HERE = Path(__file__).resolve().parent

TARGET_INDICATORS = ["职能工作目标", "重点工作目标", "公共服务", "自主创新", "目标管理要素"]

MLR_UNITS = {
    "部机关司局": "办公厅 政策法规司 规划司 财务司 人事司 调控和监测司 耕地保护司 地籍管理司 "
    "土地利用管理司 矿产开发管理司 矿产资源储量司 地质勘查司 地质环境司 执法监察局",
    "督察局": "国家土地督察北京局 国家土地督察沈阳局 国家土地督察上海局 国家土地督察南京局 "
    "国家土地督察济南局 国家土地督察广州局 国家土地督察武汉局 国家土地督察成都局 国家土地督察西安局",
    "直属单位": "信息中心 土地整理中心 土地勘测规划院 咨询研究中心 机关服务局 宣传教育中心 法律事务中心",
}
MLR_AREAS = ["职责履行", "依法行政", "公共服务", "机关管理", "改革创新", "作风建设"]


def _units(table: dict[str, str]) -> pd.DataFrame:
    rows = [(name, cls) for cls, names in table.items() for name in names.split()]
    return pd.DataFrame(rows, columns=["department", "class"])


def _near_ceiling(rng: np.random.Generator, n: int, n_full: int) -> np.ndarray:
    """Completion rates in %: n_full units at 100, the others a little short of it (95-99.9)."""
    short = 100 - np.clip(rng.exponential(1.5, n), 0.1, 5.0)
    values = np.round(short, 1)
    values[rng.choice(n, n_full, replace=False)] = 100.0
    return values


def hangzhou(rng: np.random.Generator) -> pd.DataFrame:
    df = _units(HANGZHOU_UNITS)
    n = len(df)
    for name in TARGET_INDICATORS:  # 2005: 50 of 66 units had full marks on key targets
        key = name == "重点工作目标"
        n_full = round(50 / 66 * n) if key else rng.integers(round(0.6 * n), round(0.85 * n))
        df[name] = _near_ceiling(rng, n, int(n_full))
    # Social evaluation: front-line units are more visible and less liked; spread mapped to 2005's range.
    shift = df["class"].map({"社会服务类": -0.3, "执法监管类": -0.8, "综合管理类": 0.5}).to_numpy()
    latent = shift + rng.normal(0, 1, n)
    df["社会评价"] = np.round(37.12 + (latent - latent.min()) / np.ptp(latent) * (42.61 - 37.12), 2)
    df["领导考评"] = np.round(rng.uniform(4.6, 5.0, n), 2)
    n_bonus = round(31 / 66 * n)  # 2005: 31 of 66 units earned innovation points
    bonus = np.zeros(n)
    bonus[rng.choice(n, n_bonus, replace=False)] = np.round(rng.uniform(0.1, 1.0, n_bonus), 1)
    df["创新创优"] = bonus
    veto = np.zeros(n, dtype=bool)
    veto[rng.integers(n)] = True
    df["一票否决"] = np.where(veto, "true", "false")
    return df


def mlr(rng: np.random.Generator) -> pd.DataFrame:
    df = _units(MLR_UNITS)
    n = len(df)
    ability = rng.normal(0, 2.5, n)
    for name in MLR_AREAS:
        df[name] = np.round(np.clip(87 + ability + rng.normal(0, 3, n), 65, 99), 1)
    for name, mean, sd in [
        ("上级评价", 88, 3),
        ("考核组测评", 87, 3),
        ("管理相对人和服务对象评价", 84, 5),
    ]:
        df[name] = np.round(np.clip(mean + ability + rng.normal(0, sd, n), 60, 100), 1)
    df["本单位自评"] = np.round(np.clip(95 + 0.3 * ability + rng.normal(0, 1.5, n), 60, 100), 1)
    bonus = np.zeros(n)
    winners = rng.choice(n, n // 4, replace=False)
    bonus[winners] = np.round(rng.uniform(0.5, 2.0, winners.size), 1)
    df["创先争优"] = bonus
    veto = np.zeros(n, dtype=bool)
    veto[rng.integers(n)] = True
    df["违纪违法"] = np.where(veto, "true", "false")
    return df


def main() -> None:
    hz_rng, mlr_rng = (np.random.default_rng(s) for s in np.random.SeedSequence(SEED).spawn(2))
    for name, frame in [
        ("hangzhou-2011-units.csv", hangzhou(hz_rng)),
        ("mlr-2011-units.csv", mlr(mlr_rng)),
    ]:
        frame.to_csv(HERE / name, index=False, encoding="utf-8-sig")
        print(f"wrote {HERE / name} ({len(frame)} units)")


if __name__ == "__main__":
    main()
