from django.urls import path

from clicks import apis

urlpatterns = [
    path("clicks", apis.ClickSyncApi.as_view(), name="clicks-sync"),
]
