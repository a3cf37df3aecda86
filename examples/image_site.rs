//! A site of N pages with one photo each, for `bench/images.py`: every page a bundle with a
//! `photo.jpg` of 2400x1600 (gradients and grain, as a photo has), made the same every time.
//!
//! usage: cargo run --release --example image_site -- DIR N

// A benchmark program: it prints its usage itself, and stops at the first I/O error.
#![allow(clippy::print_stderr, clippy::exit)]

use std::path::Path;

use image::{DynamicImage, ImageFormat, RgbImage};
use rayon::prelude::*;

fn photo(width: u32, height: u32, seed: u32) -> DynamicImage {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let img = RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = u8::try_from(state % 24).unwrap_or(0);
        let shade = |v: u32, of: u32, by: u32| u8::try_from(v * by / of.max(1)).unwrap_or(255);
        image::Rgb([
            shade(x, width, 200).saturating_add(grain),
            shade(y, height, 180).saturating_add(grain),
            shade(x + y, width + height, 120).saturating_add(grain),
        ])
    });
    DynamicImage::ImageRgb8(img)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(Ok(n))) = (args.first(), args.get(1).map(|n| n.parse::<u32>())) else {
        eprintln!("usage: image_site DIR N");
        std::process::exit(2);
    };
    let dir = Path::new(dir);
    std::fs::create_dir_all(dir.join("content")).unwrap();
    std::fs::write(
        dir.join("site.toml"),
        "title = \"Images\"\nbase_url = \"https://images.example\"\ntheme = \"ancapex\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("content/_index.md"),
        "+++\ntitle = \"Images\"\n+++\n",
    )
    .unwrap();
    (0..n).into_par_iter().for_each(|i| {
        let page = dir.join(format!("content/p{i:04}"));
        std::fs::create_dir_all(&page).unwrap();
        std::fs::write(
            page.join("index.md"),
            format!("+++\ntitle = \"Photo {i}\"\n+++\n![Photo {i}](photo.jpg \"Photo {i}\")\n"),
        )
        .unwrap();
        photo(2400, 1600, i + 1)
            .save_with_format(page.join("photo.jpg"), ImageFormat::Jpeg)
            .unwrap();
    });
}
