from django.urls import path

from players import apis

urlpatterns = [
    path("me", apis.MeApi.as_view(), name="me"),
    path("users", apis.GameNameApi.as_view(), name="users"),
    path("user/<int:player_id>", apis.PublicPlayerApi.as_view(), name="user"),
]
