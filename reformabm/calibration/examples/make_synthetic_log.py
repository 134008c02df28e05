"""Generate the SYNTHETIC example 12345 log in reformabm/calibration/examples/ (not real data).

Run from the repository root: ``python reformabm/calibration/examples/make_synthetic_log.py``.
"""
import csv
import datetime as dt

import numpy as np


def main() -> None:
    """Write the log (fixed seed: the same file every time)."""
    rng = np.random.default_rng(12345)
    units = [("社区网格站", 1, 1), ("村（社区）", 2, 3), ("街道办事处", 3, 5), ("乡镇人民政府", 3, 5),
             ("区城市管理局", 4, 7), ("区住房和城乡建设局", 4, 7), ("市公安局", 5, 10), ("市生态环境局", 5, 10)]
    p = np.array([0.22, 0.18, 0.16, 0.08, 0.14, 0.1, 0.07, 0.05])
    start = dt.datetime(2024, 1, 1, 8, 0)
    end = dt.datetime(2024, 3, 31, 18, 0)
    rows = []
    n = 600
    for i in range(n):
        u = rng.choice(len(units), p=p)
        name, level, limit = units[u]
        t = start + dt.timedelta(minutes=int(rng.integers(0, int((end - start).total_seconds() // 60))))
        days = int(rng.geometric(1 / (0.6 * limit + 0.5))) - 1
        closed = t + dt.timedelta(days=days, hours=int(rng.integers(1, 8)))
        status = "已办结"
        if closed > end:
            status, closed = "办理中", None
        elif rng.random() < 0.01:
            status, closed = "已撤销", None
        late_open = closed is None and (end - t).days > limit
        late_closed = closed is not None and (closed.date() - t.date()).days > limit
        overdue = "是" if late_open or late_closed else "否"
        sat = ""
        if status == "已办结":
            probs = [0.9, 0.07, 0.03] if overdue == "否" else [0.5, 0.2, 0.3]
            sat = rng.choice(["满意", "基本满意", "不满意"], p=probs)
        rep = ""
        if i > 50 and rng.random() < 0.06:
            rep = f"GD2024{int(rng.integers(1, i)):05d}"
        rows.append({"工单编号": f"GD2024{i + 1:05d}", "受理时间": t.strftime("%Y-%m-%d %H:%M:%S"),
                     "办结时间": closed.strftime("%Y-%m-%d %H:%M:%S") if closed else "", "承办单位": name,
                     "办理时限": f"{limit}个工作日" if level >= 3 else str(limit), "是否超期": overdue,
                     "满意度": sat, "办理状态": status, "重复件": rep})
    rows.sort(key=lambda r: r["受理时间"])
    # two rows with deliberate errors, to show how unreadable rows are reported
    rows[100]["受理时间"] = "2024-02-30 09:00:00"
    rows[200]["办理状态"] = "已转办"
    with open("reformabm/calibration/examples/12345_synthetic_log.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


if __name__ == "__main__":
    main()
