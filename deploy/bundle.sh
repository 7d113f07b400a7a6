#!/bin/sh
# Usage: deploy/bundle.sh OUTPUT.tar.gz [REF]
# Packs what the server needs to build and run the stack (`docker compose up -d --build`) from
# the committed tree at REF (default HEAD): the Dockerfiles, compose file, deploy/ scripts, the
# Django project and the Godot project. Left out: CI, docs, tests, benchmarks and dev tooling.
set -eu

output=${1:?usage: deploy/bundle.sh OUTPUT.tar.gz [REF]}
ref=${2:-HEAD}
cd "$(git rev-parse --show-toplevel)"

git archive --format=tar.gz --output="$output" "$ref" -- . \
  ':(exclude).github' \
  ':(exclude).ci' \
  ':(exclude)docs' \
  ':(exclude)e2e' \
  ':(exclude)benchmarks' \
  ':(exclude,glob)**/tests/**' \
  ':(exclude)conftest.py' \
  ':(exclude)Makefile' \
  ':(exclude)pyproject.toml' \
  ':(exclude)requirements/dev.txt' \
  ':(exclude,glob)**/*.md' \
  ':(exclude).gitignore' \
  ':(exclude).env.example'
echo "bundle: $output ($(tar -tzf "$output" | grep -vc '/$') files from $ref)"
