"""``flask --app wsgi evidence rehash``: photo hashes and 以图销号 flags for older files."""
from __future__ import annotations

import sys

import click

from blueprints.extensions import db, settings, storage
from workflow.core.photo_checks import rehash
from workflow.core.storage_check import check_storage


def register(app) -> None:
    @app.cli.group("evidence")
    def evidence():
        """Evidence files (佐证材料)."""

    @evidence.command("rehash")
    @click.option("--all", "everything", is_flag=True,
                  help="重新计算所有照片的感知哈希（默认只算尚无哈希的）")
    def evidence_rehash(everything):
        """Hash photos that have no perceptual hash yet, then re-check every "after" photo's flags."""
        counts = rehash(db.session, storage(), max_distance=settings().photo_match_distance,
                        everything=everything)
        db.session.commit()
        click.echo(f"已计算 {counts['hashed']} 张照片的感知哈希"
                   f"（文件缺失 {counts['missing']} 张，无法识别 {counts['unreadable']} 张）")
        click.echo(f"已复核 {counts['checked']} 份整改后照片，其中 {counts['flagged']} 份有提示")

    @evidence.command("check")
    @click.option("--delete-orphans", is_flag=True,
                  help="删除没有任何记录引用、且超过 1 小时的文件（上传中途进程被终止时留下）")
    def evidence_check(delete_orphans):
        """Files and rows agree: no file without its row, no row without its file (exit 1 if not)."""
        report = check_storage(db.session, storage(), delete_orphans=delete_orphans)
        db.session.rollback()
        click.echo(f"文件 {report.files} 个，记录引用 {report.rows} 个；无记录的文件 "
                   f"{len(report.orphans)} 个（上传中 {len(report.young)} 个），缺文件的记录 "
                   f"{len(report.missing)} 个")
        for digest in report.missing:
            click.echo(f"  缺文件：{digest}")
        if report.deleted:
            click.echo(f"已删除无记录的文件 {report.deleted} 个")
        sys.exit(0 if not report.missing and (delete_orphans or not report.orphans) else 1)

