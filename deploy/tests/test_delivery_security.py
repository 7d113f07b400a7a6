"""Security of the delivery (issue 14): hardened containers, a Redis password, the deploy check
at WARNING level, and a deploy workflow that runs only for main or tags and keeps logs private."""

from pathlib import Path

import yaml

from deploy.tests.delivery import (
    COMPOSE_FILE,
    DEPLOY,
    ROOT,
    compose_config,
    compose_data,
    env_text,
)

ENV = {
    "SECRET_KEY": "compose-test-" + "k" * 40,
    "ALLOWED_HOSTS": "game.example.com",
    "TELEGRAM_BOT_TOKEN": "42:compose-test-token",
    "POSTGRES_PASSWORD": "s3cretpassw0rd",
    "REDIS_PASSWORD": "r3dispassw0rd",
}
# Capabilities a service may add back, and why: image entrypoints that fix a volume's owner
# and then drop to their own user; servers that bind ports below 1024.
ALLOWED_CAPABILITIES = {
    "db": {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETGID", "SETUID"},
    "redis": {"CHOWN", "SETGID", "SETUID"},
    "client": {"CHOWN", "NET_BIND_SERVICE", "SETGID", "SETUID"},
    "https": {"NET_BIND_SERVICE"},
}


def test_every_container_is_hardened() -> None:
    services = compose_data()["services"]
    for name, service in services.items():
        assert "no-new-privileges:true" in service.get("security_opt", []), name
        assert service.get("cap_drop") == ["ALL"], name
        assert set(service.get("cap_add", [])) <= ALLOWED_CAPABILITIES.get(name, set()), name
        assert service.get("read_only") is True, name
        assert "/tmp" in service.get("tmpfs", []), name  # noqa: S108 (a mount point)
        assert not service.get("privileged"), name


def test_hardening_survives_compose_resolution(tmp_path: Path) -> None:
    result = compose_config(tmp_path, env_text(ENV))
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    for name in ("db", "redis", "migrate", "web", "bot", "client"):
        assert services[name]["read_only"] is True, name
        assert services[name]["cap_drop"] == ["ALL"], name


def test_redis_requires_the_password_from_env(tmp_path: Path) -> None:
    redis = compose_data()["services"]["redis"]
    command = " ".join(redis["command"])
    assert '--requirepass "$${REDIS_PASSWORD}"' in command
    assert "exec docker-entrypoint.sh redis-server" in command  # still drops root
    assert "REDISCLI_AUTH" in redis["healthcheck"]["test"][1]
    result = compose_config(tmp_path, env_text(ENV))
    services = yaml.safe_load(result.stdout)["services"]
    assert services["redis"]["environment"]["REDIS_PASSWORD"] == "r3dispassw0rd"
    for name in ("migrate", "web", "bot"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://:r3dispassw0rd@redis:6379/0"


def test_migrate_runs_the_deploy_check_at_warning_level() -> None:
    command = " ".join(compose_data()["services"]["migrate"]["command"])
    check = command.index("check --deploy --fail-level WARNING")
    assert check < command.index("&& python manage.py migrate --noinput")


def test_nginx_learns_whether_it_is_the_edge() -> None:
    client = compose_data()["services"]["client"]
    assert client["environment"]["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-1}"
    dockerfile = (DEPLOY / "client.Dockerfile").read_text()
    assert "deploy/nginx-proxy-trust.envsh /docker-entrypoint.d/16-" in dockerfile
    assert "map ${CLICKGAME_PROTO_FROM} $clickgame_proto" in (DEPLOY / "nginx.conf").read_text()


def deploy_workflow() -> dict:
    return yaml.safe_load((ROOT / ".github" / "workflows" / "deploy.yml").read_text())


def test_deploy_runs_only_for_main_or_tags_through_the_production_environment() -> None:
    job = deploy_workflow()["jobs"]["deploy"]
    assert job["environment"] == "production"
    assert job["if"] == ("github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/')")


def test_deploy_never_prints_service_logs() -> None:
    steps = "\n".join(step.get("run", "") for step in deploy_workflow()["jobs"]["deploy"]["steps"])
    assert "compose logs" not in steps
    script = (DEPLOY / "remote-deploy.sh").read_text()
    (logs_line,) = [line for line in script.splitlines() if "compose logs" in line]
    assert '>"$logs_file"' in logs_line


def test_compose_file_documents_the_hardening() -> None:
    assert "no-new-privileges" in COMPOSE_FILE.read_text().split("services:")[0]
