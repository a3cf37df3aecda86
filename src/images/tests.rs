use super::*;

/// A PNG of `width` x `height` with a gradient, so resizing has something to do.
fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let byte = |v: u32| u8::try_from(v % 256).unwrap();
        image::Rgb([byte(x), byte(y), byte(x + y)])
    });
    let mut out = vec![];
    DynamicImage::ImageRgb8(img)
        .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
        .unwrap();
    out
}

fn settings() -> ImagesConfig {
    ImagesConfig {
        widths: vec![100, 200, 400],
        ..ImagesConfig::default()
    }
}

/// Processes one file of content, named `rel`, with these bytes.
fn run(dir: &Path, rel: &str, bytes: &[u8], settings: &ImagesConfig, cache: &Cache) -> Processed {
    let path = dir.join(rel.replace('/', "-"));
    std::fs::write(&path, bytes).unwrap();
    let source = Source {
        rel: rel.to_owned(),
        output: rel.to_owned(),
        origin: Origin::Disk(path),
    };
    process(&[source], settings, cache).unwrap()
}

fn problem(processed: &Processed, rel: &str) -> Problem {
    match processed.images.get(rel) {
        Some(Image::Bad(p)) => p.clone(),
        other => panic!("not a problem: {other:?}"),
    }
}

#[test]
fn a_raster_image_gets_webp_and_its_own_format_at_each_narrower_width() {
    let dir = tempfile::tempdir().unwrap();
    let done = run(
        dir.path(),
        "post/plot.png",
        &png(300, 150),
        &settings(),
        &Cache::None,
    );
    let Some(Image::Raster {
        width,
        height,
        variants,
        ..
    }) = done.images.get("post/plot.png")
    else {
        panic!("not measured");
    };
    assert_eq!((*width, *height), (300, 150));
    let names: Vec<&str> = variants.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        names,
        [
            "post/plot.100w.webp",
            "post/plot.100w.png",
            "post/plot.200w.webp",
            "post/plot.200w.png",
            "post/plot.300w.webp",
        ]
    );
    assert_eq!(done.images.encoded, 5);
    for (path, bytes) in &done.files {
        let decoded = image::load_from_memory(bytes).unwrap();
        let want: u32 = path
            .rsplit('.')
            .nth(1)
            .unwrap()
            .trim_end_matches('w')
            .parse()
            .unwrap();
        assert_eq!(decoded.width(), want, "{path}");
        assert_eq!(decoded.height(), want / 2, "{path}");
    }
    let webp = &done.files[0].1;
    assert_eq!(image::guess_format(webp).unwrap(), ImageFormat::WebP);
}

#[test]
fn encoding_gives_the_same_bytes_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = png(250, 100);
    let one = run(dir.path(), "a.png", &bytes, &settings(), &Cache::None);
    let two = run(dir.path(), "a.png", &bytes, &settings(), &Cache::None);
    assert_eq!(one.files, two.files);
}

#[test]
fn a_kept_variant_is_not_encoded_again_until_its_settings_change() {
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::Kept(dir.path().join("kept"));
    let bytes = png(250, 100);
    let first = run(dir.path(), "a.png", &bytes, &settings(), &cache);
    assert_eq!(first.images.encoded, 5);
    let again = run(dir.path(), "a.png", &bytes, &settings(), &cache);
    assert_eq!(again.images.encoded, 0);
    assert_eq!(again.files, first.files);
    // The quality changes the WebP variants only; the PNG ones are lossless.
    let other = ImagesConfig {
        quality: 50,
        ..settings()
    };
    assert_eq!(
        run(dir.path(), "a.png", &bytes, &other, &cache)
            .images
            .encoded,
        3
    );
    // Another source is another image.
    assert_eq!(
        run(dir.path(), "a.png", &png(250, 101), &settings(), &cache)
            .images
            .encoded,
        5
    );
    // A check reads what is kept and writes nothing.
    let read_only = Cache::ReadOnly(dir.path().join("kept"));
    let checked = run(dir.path(), "a.png", &png(250, 102), &settings(), &read_only);
    assert_eq!(checked.images.encoded, 5);
    let again = run(dir.path(), "a.png", &png(250, 102), &settings(), &read_only);
    assert_eq!(again.images.encoded, 5);
}

#[test]
fn text_named_like_an_image_is_not_an_image() {
    let dir = tempfile::tempdir().unwrap();
    let done = run(
        dir.path(),
        "fake.png",
        b"hello, I am text",
        &settings(),
        &Cache::None,
    );
    assert_eq!(
        problem(&done, "fake.png").message,
        "`fake.png` is not an image"
    );
    assert!(done.files.is_empty());
}

#[test]
fn a_truncated_image_cannot_be_decoded() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = png(300, 150);
    let done = run(
        dir.path(),
        "cut.png",
        &bytes[..bytes.len() / 2],
        &settings(),
        &Cache::None,
    );
    let p = problem(&done, "cut.png");
    assert!(
        p.message.starts_with("the image cannot be decoded: "),
        "{}",
        p.message
    );
    assert_eq!(
        p.help.as_deref(),
        Some("the file may be truncated or damaged: export it again")
    );
}

/// The CRC-32 of PNG chunks (ISO 3309), to forge a header.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn a_decompression_bomb_is_refused_before_it_is_decoded() {
    // A valid PNG header that claims 100000 x 100000 pixels (40 GB decoded), in a few bytes.
    let mut bytes = png(2, 2);
    let ihdr = 8 + 8;
    bytes[ihdr..ihdr + 4].copy_from_slice(&100_000u32.to_be_bytes());
    bytes[ihdr + 4..ihdr + 8].copy_from_slice(&100_000u32.to_be_bytes());
    let crc = crc32(&bytes[ihdr - 4..ihdr + 13]);
    bytes[ihdr + 13..ihdr + 17].copy_from_slice(&crc.to_be_bytes());
    let dir = tempfile::tempdir().unwrap();
    let done = run(dir.path(), "bomb.png", &bytes, &settings(), &Cache::None);
    assert_eq!(
        problem(&done, "bomb.png").message,
        "the image is 100000x100000, more than the 50000000 pixels allowed"
    );
    // The limit is the site's: a real image over it is refused too.
    let small = ImagesConfig {
        max_pixels: 10_000,
        ..settings()
    };
    let done = run(dir.path(), "big.png", &png(200, 100), &small, &Cache::None);
    assert_eq!(
        problem(&done, "big.png").message,
        "the image is 200x100, more than the 10000 pixels allowed"
    );
}

#[test]
fn an_unsupported_format_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let done = run(dir.path(), "scan.tiff", b"II*\0", &settings(), &Cache::None);
    assert_eq!(
        problem(&done, "scan.tiff").message,
        "`.tiff` images are not supported"
    );
}

#[test]
fn an_svg_is_published_sanitised() {
    let dir = tempfile::tempdir().unwrap();
    let svg = br#"<svg width="10" height="5" onload="x()"><script>x()</script><rect/></svg>"#;
    let done = run(dir.path(), "d.svg", svg, &settings(), &Cache::None);
    assert_eq!(
        done.images.get("d.svg"),
        Some(&Image::Svg {
            size: Some((10, 5)),
            output: "d.svg".to_owned(),
            removed: 2,
        })
    );
    assert_eq!(
        done.files,
        [(
            "d.svg".to_owned(),
            br#"<svg width="10" height="5"><rect/></svg>"#.to_vec()
        )]
    );
}

#[test]
fn a_gif_is_measured_and_shown_as_it_is() {
    let mut bytes = vec![];
    DynamicImage::ImageRgb8(image::RgbImage::new(30, 20))
        .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Gif)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let done = run(dir.path(), "a.gif", &bytes, &settings(), &Cache::None);
    assert!(matches!(
        done.images.get("a.gif"),
        Some(Image::Raster { width: 30, height: 20, variants, .. }) if variants.is_empty()
    ));
}

fn raster(width: u32, height: u32) -> Image {
    Image::Raster {
        width,
        height,
        output: "p/a.jpg".to_owned(),
        variants: vec![],
        origin: Origin::Builtin(b""),
        digest: "0".repeat(64),
    }
}

fn asked(op: &str, width: Option<u32>, height: Option<u32>) -> resize::Asked<'_> {
    resize::Asked {
        path: "p/a.jpg",
        width,
        height,
        op: Some(op),
        format: None,
        quality: None,
    }
}

#[test]
fn resize_requests_have_the_size_their_op_gives() {
    let image = raster(2400, 1600);
    let size = |op, w, h| {
        resize::request(&image, &asked(op, w, h), &settings()).map(|r| (r.width, r.height))
    };
    assert_eq!(size("fit", Some(600), Some(600)), Ok((600, 400)));
    assert_eq!(size("fit", Some(6000), Some(6000)), Ok((2400, 1600)));
    assert_eq!(size("fit", Some(900), Some(300)), Ok((450, 300)));
    assert_eq!(size("fill", Some(300), Some(300)), Ok((300, 300)));
    assert_eq!(size("resize", Some(10), Some(700)), Ok((10, 700)));
    assert_eq!(size("fit_width", Some(480), None), Ok((480, 320)));
    assert_eq!(size("fit_height", None, Some(160)), Ok((240, 160)));
    assert_eq!(
        size("fill", Some(300), None),
        Err("op `fill` needs a height above 0".to_owned())
    );
    assert_eq!(
        size("crop", Some(300), Some(3)),
        Err("unknown op `crop`: one of fit, fill, resize, fit_width, fit_height".to_owned())
    );
    assert_eq!(
        size("resize", Some(100_000), Some(100_000)),
        Err("100000x100000 is more than the 50000000 pixels allowed".to_owned())
    );
}

#[test]
fn a_resize_is_named_by_its_source_and_arguments() {
    let image = raster(2400, 1600);
    let path = |a: &resize::Asked<'_>| resize::request(&image, a, &settings()).unwrap().path;
    let fill = path(&asked("fill", Some(300), Some(300)));
    assert!(
        fill.starts_with("processed_images/a.") && fill.ends_with(".webp"),
        "{fill}"
    );
    assert_eq!(fill, path(&asked("fill", Some(300), Some(300))));
    assert_ne!(fill, path(&asked("fill", Some(300), Some(301))));
    let jpg = resize::Asked {
        format: Some("jpg"),
        ..asked("fill", Some(300), Some(300))
    };
    assert!(path(&jpg).ends_with(".jpg"));
}
