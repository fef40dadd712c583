"""The enterprise (生产经营单位) record."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.org.models import Department
from workflow.platform.base import Base, iso_utc, utcnow


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    industry: Mapped[str | None] = mapped_column(String(60))
    # its 属地 unit (a town, village or grid; a district department is allowed too)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    legal_representative: Mapped[str | None] = mapped_column(String(60))
    safety_contact: Mapped[str | None] = mapped_column(String(60))
    safety_phone: Mapped[str | None] = mapped_column(String(40))
    above_scale: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())  # 规模以上
    key_supervision: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())  # 重点监管
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    unit: Mapped[Department | None] = relationship()

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "credit_code": self.credit_code,
                "industry": self.industry, "unit_id": self.unit_id,
                "unit": self.unit.name if self.unit else None, "address": self.address,
                "legal_representative": self.legal_representative,
                "safety_contact": self.safety_contact, "safety_phone": self.safety_phone,
                "above_scale": self.above_scale, "key_supervision": self.key_supervision,
                "created_at": iso_utc(self.created_at)}
