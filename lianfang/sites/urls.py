"""Pages of the sites app, under /sites/."""

app_name = "sites"
urlpatterns: list = []
