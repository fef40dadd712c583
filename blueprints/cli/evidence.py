"""``flask --app wsgi evidence rehash``: photo hashes and 以图销号 flags for older files."""
from __future__ import annotations

import click

from blueprints.extensions import db, settings, storage
from workflow.core.photo_checks import rehash


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
