//! Images written in markdown: resized to the configured widths as WebP and in their own
//! format, measured (no layout shift), captioned, kept between builds; bad ones located.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, RgbImage};

use crate::support::{SiteTest, article, snapshot};

/// An image with gradients and grain, as a photo has, made the same every time.
pub(crate) fn photo(width: u32, height: u32, seed: u32) -> DynamicImage {
    let mut state = seed.wrapping_mul(2_654_435_761).max(1);
    let img = RgbImage::from_fn(width, height, |x, y| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let grain = u8::try_from(state % 24).unwrap();
        let shade = |v: u32, of: u32, by: u32| u8::try_from(v * by / of.max(1)).unwrap();
        image::Rgb([
            shade(x, width, 200).saturating_add(grain),
            shade(y, height, 180).saturating_add(grain),
            shade(x + y, width + height, 120).saturating_add(grain),
        ])
    });
    DynamicImage::ImageRgb8(img)
}

pub(crate) fn encoded(image: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = vec![];
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// The images fixture with its photo, plot and small figure made.
fn gallery() -> SiteTest {
    let site = SiteTest::fixture("build/images");
    let write = |rel: &str, bytes: Vec<u8>| std::fs::write(site.path(rel), bytes).unwrap();
    write(
        "content/gallery/photo.jpg",
        encoded(&photo(2400, 1600, 1), ImageFormat::Jpeg),
    );
    write(
        "content/gallery/plot.png",
        encoded(&photo(1000, 600, 2).grayscale(), ImageFormat::Png),
    );
    write(
        "content/figure.png",
        encoded(&photo(200, 100, 3), ImageFormat::Png),
    );
    site
}

#[test]
fn images_in_markdown_become_measured_pictures_over_resized_variants() {
    let site = gallery();
    let out = site.run(["build"]).succeeds();
    // photo: 320, 640, 1280 in both formats and WebP at 2400; plot: 320, 640 both and WebP at
    // 1000; figure: WebP at 200.
    assert!(
        out.stdout()
            .contains("images: 13 variants, 13 encoded by this build"),
        "{}",
        out.stdout()
    );
    let gallery = site.file("public/gallery/index.html");
    snapshot("gallery", article(&gallery));
    snapshot("notes", article(&site.file("public/notes/index.html")));
    // Only the first image of a page is loaded at once.
    assert_eq!(gallery.matches("loading=\"lazy\"").count(), 2, "{gallery}");
    // Every variant is published under its fingerprinted name, the size it says.
    let small = site.fingerprinted("public/gallery/photo.320w.webp");
    let decoded = image::load_from_memory(&site.bytes(&small)).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (320, 214));
    assert!(gallery.contains(&small["public".len()..]), "{gallery}");
    // The diagram is published sanitised.
    let svg = site.file(&site.fingerprinted("public/gallery/stages.svg"));
    assert!(
        !svg.contains("script") && !svg.contains("onload") && !svg.contains("javascript:"),
        "{svg}"
    );
    assert!(svg.contains("render"), "{svg}");
}

#[test]
fn a_rebuild_with_nothing_changed_encodes_nothing_and_writes_the_same_bytes() {
    let site = gallery();
    site.run(["build"]).succeeds();
    let first = site.tree("public");
    let again = site.run(["build"]).succeeds();
    assert!(
        again
            .stdout()
            .contains("images: 13 variants, 0 encoded by this build"),
        "{}",
        again.stdout()
    );
    crate::support::assert_same_tree(&first, &site.tree("public"));
    // A changed image alone is encoded again: the plot's 5 variants.
    std::fs::write(
        site.path("content/gallery/plot.png"),
        encoded(&photo(1000, 600, 9).grayscale(), ImageFormat::Png),
    )
    .unwrap();
    let changed = site.run(["build"]).succeeds();
    assert!(
        changed
            .stdout()
            .contains("images: 13 variants, 5 encoded by this build"),
        "{}",
        changed.stdout()
    );
}

#[test]
fn bad_images_are_located_errors_and_missing_alt_text_a_warning() {
    let site = SiteTest::fixture("build/images");
    let write = |rel: &str, bytes: &[u8]| std::fs::write(site.path(rel), bytes).unwrap();
    let png = encoded(&photo(400, 300, 4), ImageFormat::Png);
    write("content/gallery/photo.jpg", b"<html>not a photo</html>");
    write("content/gallery/plot.png", &png[..png.len() / 3]);
    write("content/figure.png", &png);
    write("content/scan.tiff", b"II*\0");
    site.write(
        "content/notes.md",
        "+++\ntitle = \"Notes\"\n+++\nNo alt text: ![](figure.png)\n\n![A scan](scan.tiff)\n\n![A typo](figur.png)\n\n![Out](../site.toml.png)\n",
    );
    site.run(["build"]).fails_with(1).stderr_snapshot();
}

#[test]
fn resize_image_gives_themes_a_resized_copy_with_its_size() {
    let site = gallery();
    site.write(
        "templates/shortcodes/cover.html",
        "{%- set r = resize_image(path=path, width=300, height=300, op=op) -%}\n<img class=\"cover\" src=\"{{ r.url }}\" width=\"{{ r.width }}\" height=\"{{ r.height }}\" data-orig=\"{{ r.orig_width }}x{{ r.orig_height }}\">\n",
    );
    site.write(
        "content/notes.md",
        "+++\ntitle = \"Notes\"\n+++\n{{ cover(path=\"gallery/photo.jpg\", op=\"fill\") }}\n\n{{ cover(path=\"gallery/plot.png\", op=\"fit\") }}\n",
    );
    site.run(["build"]).succeeds();
    let notes = site.file("public/notes/index.html");
    let urls: Vec<&str> = notes
        .split("src=\"")
        .skip(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .collect();
    assert_eq!(urls.len(), 2, "{notes}");
    assert!(
        notes.contains("width=\"300\" height=\"300\" data-orig=\"2400x1600\""),
        "{notes}"
    );
    assert!(
        notes.contains("width=\"300\" height=\"180\" data-orig=\"1000x600\""),
        "{notes}"
    );
    for (url, size) in urls.iter().zip([(300, 300), (300, 180)]) {
        assert!(url.starts_with("/processed_images/"), "{url}");
        let made = image::load_from_memory(&site.bytes(&format!("public{url}"))).unwrap();
        assert_eq!((made.width(), made.height()), size, "{url}");
    }
    // The files are listed in the manifest like every other output.
    let manifest = site.file("public/site-manifest.json");
    assert!(manifest.contains(&urls[0][1..]), "{manifest}");
}

#[test]
fn resize_image_errors_are_located_at_the_call() {
    let site = gallery();
    site.write(
        "templates/shortcodes/cover.html",
        "{%- set r = resize_image(path=path, width=300, op=\"fill\") -%}<img src=\"{{ r.url }}\">",
    );
    site.write(
        "content/notes.md",
        "+++\ntitle = \"Notes\"\n+++\n{{ cover(path=\"gallery/phot.jpg\") }}\n\n{{ cover(path=\"gallery/photo.jpg\") }}\n",
    );
    site.run(["build"]).fails_with(1).stderr_snapshot();
}

#[test]
fn a_themes_resized_image_stays_when_the_next_build_keeps_its_page() {
    // The page template resizes an image for every page; the next build, in another process
    // with the cache, changes another page's body only.
    let site = gallery();
    site.write(
        "templates/page.html",
        "{%- set r = resize_image(path=\"gallery/photo.jpg\", width=120, height=120, op=\"fill\") -%}\n<!doctype html><html lang=\"en\"><head><title>{{ page.title }}</title></head><body><img alt=\"\" src=\"{{ r.url }}\">{{ page.content | safe }}</body></html>\n",
    );
    site.run(["build"]).succeeds();
    let notes = site.file("public/notes/index.html");
    let url = notes
        .split("src=\"")
        .nth(1)
        .map(|s| &s[..s.find('"').unwrap()])
        .unwrap()
        .to_owned();
    assert!(site.exists(&format!("public{url}")), "{url}");
    site.write(
        "content/gallery/index.md",
        &site
            .file("content/gallery/index.md")
            .replace("\n\n", "\n\nOne more sentence.\n\n"),
    );
    site.run(["build"]).succeeds();
    assert!(
        site.exists(&format!("public{url}")),
        "the resized image went missing: {url}"
    );
    assert_eq!(site.file("public/notes/index.html"), notes);
}
