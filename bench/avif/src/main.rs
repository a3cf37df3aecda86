// AVIF (ravif, at speeds 10 and 6) and lossy WebP (libwebp) at quality 80, on one 1600x1067
// image with gradients and grain, as a photo has: the time and size of each encoding.
use std::time::Instant;

fn main() {
    let (w, h) = (1600usize, 1067usize);
    let mut state = 7u32;
    let mut rgba = Vec::with_capacity(w * h);
    for y in 0..h {
        for x in 0..w {
            state ^= state << 13; state ^= state >> 17; state ^= state << 5;
            let g = (state % 24) as u8;
            rgba.push(ravif::RGBA8::new((x * 200 / w) as u8 + g, (y * 180 / h) as u8 + g, ((x + y) * 120 / (w + h)) as u8 + g, 255));
        }
    }
    let flat: Vec<u8> = rgba.iter().flat_map(|p| [p.r, p.g, p.b, p.a]).collect();
    let t = Instant::now();
    let webp = webp::Encoder::from_rgba(&flat, w as u32, h as u32).encode_simple(false, 80.0).unwrap();
    println!("webp q80: {:.3} s, {} bytes", t.elapsed().as_secs_f64(), webp.len());
    for speed in [10u8, 6] {
        let t = Instant::now();
        let out = ravif::Encoder::new().with_quality(80.0).with_speed(speed)
            .encode_rgba(ravif::Img::new(&rgba[..], w, h)).unwrap();
        println!("avif q80 speed {speed}: {:.3} s, {} bytes", t.elapsed().as_secs_f64(), out.avif_file.len());
    }
}
