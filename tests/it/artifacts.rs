//! The artifact registry: records of every status build with their computed badges, and one run
//! over a registry with one of each mistake reports all of them at their file:line:col.

use crate::support::SiteTest;

#[test]
fn records_of_every_status_build_with_their_badges() {
    let site = SiteTest::fixture("build/artifacts");
    let out = site.run(["build"]).succeeds();
    let index = site.file("public/index.html");
    for line in [
        "abandoned-model@0.1.0 abandoned abandoned files=0",
        "drafting-memo@0.1.0 drafting in-progress files=1",
        "forming-report@0.1.0 forming in-progress files=1",
        "planned-suite@0.0.0 planned aim files=0",
        "published-eval@2.0.0 published supported files=2",
        "published-unproven@1.0.0 published unproven files=0",
        "retracted-dataset@1.0.0 retracted retracted files=0",
        "review-matrix@1.0.0 review in-progress files=1",
        "superseded-eval@1.0.0 superseded superseded files=0",
    ] {
        assert!(index.contains(line), "{line}\n{index}");
    }
    // The unproven claim is the only thing reported, as a warning at its criterion.
    let stderr = out.stderr();
    assert!(
        stderr.starts_with(
            "warning: published criterion names no evidence\n  --> artifacts/published-unproven/artifact.toml:21:13\n"
        ),
        "{stderr}"
    );
    assert!(stderr.ends_with("\nwarning: 1 warning\n"), "{stderr}");
}

// Unix only: the escaping symlink is made here, since git does not keep symlinks everywhere.
#[cfg(unix)]
#[test]
fn every_artifact_mistake_is_reported_in_one_run() {
    let site = SiteTest::fixture("invalid/artifacts_all_mistakes");
    std::os::unix::fs::symlink(
        "../../site.toml",
        site.path("artifacts/symlink-escape/site.toml"),
    )
    .unwrap();
    site.run(["build"]).fails_with(1).stderr_snapshot();
    assert!(!site.exists("public"));
}

#[test]
fn a_file_changed_after_hashing_fails_the_next_build() {
    let site = SiteTest::fixture("build/artifacts");
    site.run(["build"]).succeeds();
    site.write(
        "artifacts/review-matrix/matrix.csv",
        "right,owner\nweights,nobody\n",
    );
    let out = site.run(["build"]).fails_with(1).stderr();
    assert!(
        out.contains(
            "error: SHA-256 of `matrix.csv` does not match the record\n  --> artifacts/review-matrix/artifact.toml:26:10\n"
        ),
        "{out}"
    );
}

#[test]
fn real_registry_builds_without_artifact_problems() {
    let site = SiteTest::repo_site();
    let out = site.run(["check"]).succeeds().stderr();
    assert!(!out.contains("artifacts/"), "{out}");
}

#[test]
fn references_in_pages_are_resolved_wherever_they_are_written() {
    let site = SiteTest::repo_site();
    site.write(
        "content/cites.md",
        "+++\ntitle = \"Cites\"\n[extra]\nbasis = \"artifact:eval-suite@9.9.9\"\n+++\nSee artifact:eval-suit@0.0.0 and artifact:eval-suite@0.0.0.\n",
    );
    let err = site.run(["check"]).fails_with(1).stderr();
    assert!(
        err.contains(
            "error: dangling reference `artifact:eval-suite@9.9.9`\n --> content/cites.md:4:10"
        ),
        "{err}"
    );
    assert!(
        err.contains("= help: cite `artifact:eval-suite@0.0.0`"),
        "{err}"
    );
    assert!(
        err.contains(
            "error: dangling reference `artifact:eval-suit@0.0.0`\n --> content/cites.md:6:5"
        ),
        "{err}"
    );
    assert!(err.contains("did you mean `eval-suite`?"), "{err}");
    assert!(err.ends_with("error: 2 errors\n"), "{err}");
}
