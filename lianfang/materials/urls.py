from lianfang.materials import urls_donations, urls_stock, urls_transfers

app_name = "materials"

urlpatterns = [*urls_stock.urlpatterns, *urls_transfers.urlpatterns, *urls_donations.urlpatterns]
