from django.apps import AppConfig


class LeaderboardConfig(AppConfig):
    name = "leaderboard"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Show the board's state (ready, rebuild pending, snapshot age) in /ready."""
        # Imported here: models are not loaded when this module is imported.
        from core.health import ready_report_register
        from leaderboard.selectors import board_status

        ready_report_register("leaderboard", lambda: board_status().as_dict())
