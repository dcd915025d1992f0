//! Plan + render of each blueprint (every file rendered in memory, nothing written), the
//! work `gogen new` does between reading answers and writing. Run: `cargo bench`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use gogen::answers::{AnswerInputs, Resolver};
use gogen::generate;

fn first_case_inputs(bp: &gogen::blueprint::Blueprint) -> AnswerInputs {
    AnswerInputs {
        sets: bp
            .manifest
            .tests
            .first()
            .map(|c| c.sets())
            .unwrap_or_default(),
        ..AnswerInputs::default()
    }
}

fn bench_blueprints(c: &mut Criterion) {
    let mut references: Vec<String> = gogen::blueprint::built_in_names();
    references.push(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/blueprints/hello").to_string());
    for reference in references {
        let (bp, renderer) =
            generate::load(&generate::Context::default(), &reference).expect("blueprint loads");
        let inputs = first_case_inputs(&bp);
        let resolver = Resolver {
            manifest: &bp.manifest,
            renderer: &renderer,
        };
        let answers = resolver
            .resolve(&inputs, None)
            .expect("test case answers resolve");
        let label = format!("plan+render/{}", bp.name());
        c.bench_function(&label, |b| {
            b.iter(|| {
                let plan =
                    gogen::generate::plan::plan(&bp, &renderer, black_box(&answers)).unwrap();
                black_box(plan.files.len())
            })
        });
        c.bench_function(&format!("load+plan+render/{}", bp.name()), |b| {
            b.iter(|| {
                let (bp, renderer) =
                    generate::load(&generate::Context::default(), black_box(&reference)).unwrap();
                let answers = Resolver {
                    manifest: &bp.manifest,
                    renderer: &renderer,
                }
                .resolve(&inputs, None)
                .unwrap();
                black_box(
                    gogen::generate::plan::plan(&bp, &renderer, &answers)
                        .unwrap()
                        .files
                        .len(),
                )
            })
        });
    }
}

criterion_group!(benches, bench_blueprints);
criterion_main!(benches);
