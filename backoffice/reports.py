"""Human sentences for what a maintenance run found and changed."""

from leaderboard.rebuild import BoardReport


def recalculation_summary(report: BoardReport) -> str:
    """One paragraph on a leaderboard recalculation: backend, drift found, what was changed."""
    if report.backend == "sql":
        head = (
            f"SQL leaderboard checked: it is the players table itself, {report.players:,} visible "
            "players, nothing to rebuild."
        )
        tail = " Global stats recomputed." if not report.dry_run else ""
        return head + tail
    drift = (
        f"{report.drift:,} drifted entries ({report.missing:,} missing, "
        f"{report.wrong_score:,} with a wrong score, {report.extra:,} not players)"
        if report.drift
        else "no drift"
    )
    if report.dry_run:
        return (
            f"Dry run on the {report.backend} leaderboard: {report.players:,} players checked, "
            f"{drift}. Nothing was changed."
        )
    sentence = (
        f"{report.backend.capitalize()} leaderboard rebuilt in {report.seconds:.1f} s: "
        f"{report.written:,} players written, {drift} on the old board, "
        f"{report.repaired:,} repaired after the swap"
    )
    if report.unsettled:
        sentence += f", {report.unsettled:,} still changing (fixed on the next run)"
    if report.drift_samples:
        sample = ", ".join(f"#{player_id}" for player_id in report.drift_samples)
        sentence += f". Drifted players (sample): {sample}"
    return sentence + ". Global stats recomputed."
