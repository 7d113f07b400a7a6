from django.urls import path

from leaderboard import apis

urlpatterns = [
    path("leaderboard", apis.LeaderboardApi.as_view(), name="leaderboard"),
]
