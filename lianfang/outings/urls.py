"""Pages of the outings app, under /outings/."""

app_name = "outings"
urlpatterns: list = []
