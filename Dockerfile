# escalada runner image: `docker build -t escalada .`
# Runs as a non-root user; the policy is mounted or baked in at /policy.
# Builds the wheel from this checkout (a clone of any tag or branch): no release needed.
FROM python:3.12-slim AS build
WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY escalada ./escalada
COPY examples ./examples
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN useradd --create-home --uid 10001 escalada
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels
# numeric, so Kubernetes runAsNonRoot can verify it (hadolint DL3066)
USER 10001
WORKDIR /home/escalada
ENV PYTHONUNBUFFERED=1
ENTRYPOINT ["escalada"]
CMD ["run", "--once", "--policy", "/policy", "--log-format", "json"]
