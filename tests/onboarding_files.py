"""Staff lists and device registers as an agency would send them, written at test time."""

from __future__ import annotations

import datetime as dt
import io

from django.utils import timezone

STAFF_HEADER = ["姓名", "工号/警号", "单位", "角色", "执法证号", "证件有效期起", "证件有效期止", "手机", "发证机关"]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["建国", "红梅", "志强", "秀英", "海涛", "丽娟", "国庆", "晓燕", "永刚", "春华", "卫东", "玉兰", "文博", "雪莲",
         "立新", "桂芳", "振华", "淑珍", "明辉", "慧敏"]


def xlsx(rows: list[list[object]], header: list[str] = STAFF_HEADER) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list[object]], header: list[str] = STAFF_HEADER, encoding: str = "utf-8-sig") -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode(encoding)


def staff_row(n: int, *, unit: str = "执法一中队", roles: str = "执法人员", certificate: bool = True,
              valid_until: dt.date | None = None, number: str | None = None) -> list[object]:
    today = timezone.localdate()
    until = valid_until or today + dt.timedelta(days=700)
    name = SURNAMES[n % len(SURNAMES)] + GIVEN[n % len(GIVEN)]
    return [name, number or f"41{n:04d}", unit, roles,
            f"豫ZF{n:06d}" if certificate else "", today - dt.timedelta(days=300) if certificate else "",
            until if certificate else "", f"139{n:08d}", "河南省人民政府" if certificate else ""]


def twenty_staff_with_two_bad_rows() -> list[list[object]]:
    """Eighteen good rows (officers, an archivist, a head) and two bad ones: an unknown unit, an expired certificate."""
    rows = [staff_row(n) for n in range(1, 21)]
    rows[0] = staff_row(1, roles="记录信息管理人员", unit="法制室", certificate=False)
    rows[1] = staff_row(2, roles="主要负责人", unit="法制室")
    rows[6] = staff_row(7, unit="不存在的中队")
    rows[12] = staff_row(13, valid_until=timezone.localdate() - dt.timedelta(days=3))
    return rows
