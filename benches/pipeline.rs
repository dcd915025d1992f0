//! The whole `gogen new` pipeline (load, resolve, plan, render, stage, fsync off, rename)
//! for each built-in blueprint, beside a baseline in the same run: copying the very tree it
//! writes, file by file, the way `cp -r` does. Run: `cargo bench --bench pipeline`.
//! Compare the two lines of a blueprint with each other, never with another run.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use gogen::answers::AnswerInputs;
use gogen::generate::poststep::PostStepOptions;
use gogen::generate::{self, Context, NewRequest};

fn request(blueprint: &str, target: &Path) -> NewRequest {
    NewRequest {
        blueprint: blueprint.to_string(),
        target: Some(target.to_path_buf()),
        inputs: AnswerInputs {
            sets: vec![("module".into(), "example.com/acme/bench".into())],
            ..AnswerInputs::default()
        },
        preset: None,
        dry_run: false,
        force: false,
        fsync: false,
        post: PostStepOptions {
            git: false,
            go_mod_download: false,
        },
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn bench_pipeline(c: &mut Criterion) {
    let ctx = Context::default();
    let work = tempfile::tempdir().unwrap();
    let mut n = 0u64;
    let mut fresh = |label: &str| {
        n += 1;
        work.path().join(format!("{label}-{n}"))
    };
    for name in gogen::blueprint::built_in_names() {
        let reference = fresh("reference");
        generate::new_project(&ctx, &request(&name, &reference), None).unwrap();
        let mut group = c.benchmark_group(format!("pipeline/{name}"));
        group.bench_function("gogen new", |b| {
            b.iter_batched(
                || fresh("new"),
                |target| {
                    let outcome =
                        generate::new_project(&ctx, &request(&name, &target), None).unwrap();
                    black_box(outcome.plan.files.len());
                    target
                },
                criterion::BatchSize::PerIteration,
            )
        });
        group.bench_function("copy of its output (baseline)", |b| {
            b.iter_batched(
                || fresh("copy"),
                |target| {
                    copy_tree(&reference, &target);
                    target
                },
                criterion::BatchSize::PerIteration,
            )
        });
        group.finish();
    }
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
