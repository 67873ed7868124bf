"""The console's pages; each module has ``routes(console, app)``."""

from edge.ui.pages import (
    attendance,
    cameras,
    health,
    live,
    login,
    occupancy,
    people,
    vehicles,
)

PAGES = (login, live, cameras, occupancy, attendance, vehicles, people, health)
