"""The place hierarchy (county → district → division or ward → parish) and the postcode look-up table."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base


class PlaceKind(enum.StrEnum):
    COUNTY = "county"
    DISTRICT = "district"
    DIVISION = "division"
    WARD = "ward"
    PARISH = "parish"

    @property
    def label(self) -> str:
        return str(PLACE_KIND_LABELS[self])


PLACE_KIND_LABELS = {
    PlaceKind.COUNTY: _l("County"),
    PlaceKind.DISTRICT: _l("District"),
    PlaceKind.DIVISION: _l("Division"),
    PlaceKind.WARD: _l("Ward"),
    PlaceKind.PARISH: _l("Parish"),
}
# Which kinds may sit directly under which.
ALLOWED_PARENTS: dict[PlaceKind, tuple[PlaceKind, ...]] = {
    PlaceKind.COUNTY: (),
    PlaceKind.DISTRICT: (PlaceKind.COUNTY,),
    PlaceKind.DIVISION: (PlaceKind.DISTRICT, PlaceKind.COUNTY),
    PlaceKind.WARD: (PlaceKind.DISTRICT, PlaceKind.COUNTY),
    PlaceKind.PARISH: (PlaceKind.DIVISION, PlaceKind.WARD, PlaceKind.DISTRICT),
}


class Place(Base):
    __tablename__ = "places"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True, nullable=False)
    # The Office for National Statistics' GSS code (E05… ward, E07… district, E04… parish, E10… county), which the
    # ONS Postcode Directory uses: ``flask places import-postcodes`` links postcodes to places through it.
    ons_code: Mapped[str | None] = mapped_column(String(9), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), nullable=True, index=True)
    population: Mapped[int | None] = mapped_column(Integer, nullable=True)
    is_demo_population: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)

    parent: Mapped[Place | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Place]] = relationship(back_populates="parent", order_by="Place.name")

    @property
    def kind_label(self) -> str:
        return PlaceKind(self.kind).label

    def ancestors(self) -> list[Place]:
        """From the parent up to the root."""
        out: list[Place] = []
        node = self.parent
        while node is not None and len(out) < 10:
            out.append(node)
            node = node.parent
        return out

    def lineage(self) -> list[Place]:
        """This place and its ancestors, nearest first."""
        return [self, *self.ancestors()]


class Postcode(Base):
    __tablename__ = "postcodes"

    postcode: Mapped[str] = mapped_column(String(10), primary_key=True)
    place_id: Mapped[int] = mapped_column(ForeignKey("places.id"), nullable=False, index=True)

    place: Mapped[Place] = relationship()
