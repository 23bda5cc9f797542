"""Group modules of the demo city; each exposes ``generate(ctx: CityContext) -> None``.

person: 人社/医保/民政/公安/交管/司法 data for the person-centric models (demo-A);
justice: judgments, civil lending, wages, hotline, gangs (demo-B).
"""
