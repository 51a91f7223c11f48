# RadFlow front door. `make run` starts RadFlow on embedded defaults; `make test` runs every test.
MVN ?= mvn -B
JAR := orchestrator/target/radflow-orchestrator.jar

.PHONY: run test setup build clean bench

setup:
	@bash scripts/setup.sh

build: setup
	$(MVN) -q -DskipTests install

# Build only when a source or POM is newer than the server jar.
$(JAR): $(shell find pom.xml module-api listener orchestrator testdata testkit modules -name pom.xml -o -path '*/src/main/*' -type f 2>/dev/null)
	@bash scripts/setup.sh
	$(MVN) -q -DskipTests install

run: $(JAR)
	bin/radflow serve --demo

test: setup
	$(MVN) verify

bench: $(JAR)
	bash bench/ingest.sh

clean:
	$(MVN) -q clean
