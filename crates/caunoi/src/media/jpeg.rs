//! JPEG: a segment walker that checks the file's structure from SOI to EOI and rewrites it
//! without its metadata, never touching the compressed image data (lossless).
//!
//! Kept: the frame (SOFn), tables (DQT, DHT, DAC, DRI), scans with their entropy-coded data,
//! JFIF (APP0), the ICC colour profile (APP2 `ICC_PROFILE`) and Adobe's colour transform (APP14),
//! which a decoder needs to show the right colours. Everything else goes: EXIF and XMP (APP1),
//! MPF and other APP2, IPTC/Photoshop (APP13), every other APPn, comments (COM), and whatever
//! follows EOI (phones append a second image or their own trailers there). The one fact of the
//! EXIF block that is carried over is the Orientation tag, in a fresh minimal EXIF block
//! (`super::exif`), so a portrait photo still shows upright.

use super::exif;
use super::{Cleaned, Flaw};

const SOI: u8 = 0xD8;
const EOI: u8 = 0xD9;
const SOS: u8 = 0xDA;

fn is_sof(m: u8) -> bool {
    matches!(m, 0xC0..=0xCF) && !matches!(m, 0xC4 | 0xC8 | 0xCC)
}

/// Checks a JPEG and returns it without metadata.
pub fn clean(b: &[u8]) -> Result<Cleaned, Flaw> {
    if b.len() < 2 || b[0] != 0xFF || b[1] != SOI {
        return Err(Flaw::Malformed);
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, SOI]);
    // Where a fresh EXIF block goes: after JFIF when the file starts with it, else after SOI.
    let mut exif_at = 2;
    let mut orientation = None;
    let mut size = None;
    let mut scans = 0usize;
    let mut removed = false;
    let mut pos = 2;
    loop {
        // A marker: 0xFF (any number of fill bytes), then its code.
        if pos >= b.len() {
            return Err(Flaw::Truncated);
        }
        if b[pos] != 0xFF {
            // Stray bytes between segments (some cameras pad them): skipped, as decoders do.
            removed = true;
            pos += b[pos..].iter().position(|&x| x == 0xFF).ok_or(Flaw::Truncated)?;
        }
        while pos < b.len() && b[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = b.get(pos) else { return Err(Flaw::Truncated) };
        pos += 1;
        match marker {
            EOI => {
                if size.is_none() || scans == 0 {
                    return Err(Flaw::Malformed);
                }
                out.extend_from_slice(&[0xFF, EOI]);
                removed |= pos < b.len();
                break;
            }
            // Restart markers and TEM have no length.
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, marker]);
                continue;
            }
            0x00 | 0x02..=0xBF | SOI => return Err(Flaw::Malformed),
            _ => {}
        }
        let len = match b.get(pos..pos + 2) {
            Some(l) => usize::from(u16::from_be_bytes([l[0], l[1]])),
            None => return Err(Flaw::Truncated),
        };
        if len < 2 {
            return Err(Flaw::Malformed);
        }
        let end = pos + len;
        let Some(body) = b.get(pos + 2..end) else { return Err(Flaw::Truncated) };
        let segment = &b[pos - 2..end];
        pos = end;
        let keep = match marker {
            m if is_sof(m) => {
                if size.is_some() || body.len() < 6 {
                    return Err(Flaw::Malformed);
                }
                let height = u32::from(u16::from_be_bytes([body[1], body[2]]));
                let width = u32::from(u16::from_be_bytes([body[3], body[4]]));
                let components = usize::from(body[5]);
                if width == 0 || height == 0 || components == 0 || body.len() < 6 + 3 * components {
                    return Err(Flaw::Malformed);
                }
                size = Some((width, height));
                true
            }
            0xC4 | 0xDB | 0xDD | 0xCC | 0xDC => true,
            0xE0 => body.starts_with(b"JFIF\0"),
            0xE1 => {
                if let Some(tiff) = body.strip_prefix(b"Exif\0\0") {
                    orientation = orientation.or_else(|| exif::orientation(tiff));
                }
                false
            }
            0xE2 => body.starts_with(b"ICC_PROFILE\0"),
            0xEE => body.starts_with(b"Adobe"),
            SOS => {
                if size.is_none() {
                    return Err(Flaw::Malformed);
                }
                true
            }
            // APP3–APP13, APP15, COM, JPGn and anything else with a length.
            _ => false,
        };
        if keep {
            out.extend_from_slice(segment);
            if marker == 0xE0 && out.len() == 2 + segment.len() {
                exif_at = out.len();
            }
        } else {
            removed = true;
        }
        if marker == SOS {
            // Entropy-coded data runs to the next marker that is not a stuffed 0x00, a restart
            // marker or a fill byte.
            let start = pos;
            loop {
                let Some(i) = b[pos..].iter().position(|&x| x == 0xFF).map(|i| pos + i) else {
                    return Err(Flaw::Truncated);
                };
                match b.get(i + 1) {
                    None => return Err(Flaw::Truncated),
                    Some(0x00 | 0xD0..=0xD7) => pos = i + 2,
                    Some(0xFF) => pos = i + 1,
                    Some(_) => {
                        pos = i;
                        break;
                    }
                }
            }
            if pos == start {
                return Err(Flaw::Malformed);
            }
            out.extend_from_slice(&b[start..pos]);
            scans += 1;
        }
    }
    let (width, height) = size.ok_or(Flaw::Malformed)?;
    let orientation = orientation.filter(|o| (2..=8).contains(o));
    if let Some(o) = orientation {
        let tiff = exif::orientation_only(o);
        let mut app1 = vec![0xFF, 0xE1];
        app1.extend_from_slice(&((2 + 6 + tiff.len()) as u16).to_be_bytes());
        app1.extend_from_slice(b"Exif\0\0");
        app1.extend_from_slice(&tiff);
        out.splice(exif_at..exif_at, app1);
    }
    // A file cleaned before (its minimal EXIF block included) comes out as it went in.
    let changed = removed && out != b;
    Ok(Cleaned { width, height, bytes: changed.then_some(out), orientation })
}

#[cfg(test)]
mod tests {
    use super::super::image::tests::jpeg;
    use super::*;

    #[test]
    fn a_plain_jpeg_passes_unchanged() {
        let j = jpeg(None, &[]);
        let c = clean(&j).expect("valid");
        assert_eq!((c.width, c.height, c.bytes), (16, 8, None));
    }

    #[test]
    fn metadata_goes_and_orientation_stays() {
        let gps_exif = exif::tests::tiff_with_gps(6);
        let j = jpeg(Some(&gps_exif), b"Camera comment");
        let c = clean(&j).expect("valid");
        let out = c.bytes.expect("rewritten");
        assert_eq!(c.orientation, Some(6));
        assert!(!out.windows(14).any(|w| w == b"Camera comment"));
        assert!(!out.windows(4).any(|w| w == b"GPS!"), "GPS values gone");
        assert_eq!(exif::orientation(&out[out.windows(6).position(|w| w == b"Exif\0\0").unwrap() + 6..]), Some(6));
        assert_eq!(clean(&out).expect("still valid").bytes, None, "cleaning is idempotent");
    }

    #[test]
    fn stray_bytes_between_segments_are_dropped() {
        let j = jpeg(None, &[]);
        let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).expect("SOF");
        let mut padded = j.clone();
        padded.splice(sof..sof, [0, 0, 0]);
        assert_eq!(clean(&padded).ok().and_then(|c| c.bytes), Some(j));
    }

    #[test]
    fn broken_jpegs_are_refused() {
        assert_eq!(clean(&[0xFF, 0xD8, 0xFF]).err(), Some(Flaw::Truncated));
        let j = jpeg(None, &[]);
        assert_eq!(clean(&j[..j.len() - 2]).err(), Some(Flaw::Truncated), "no EOI");
        assert_eq!(clean(&j[..j.len() / 2]).err(), Some(Flaw::Truncated));
        let mut no_frame = vec![0xFF, 0xD8];
        no_frame.extend_from_slice(&[0xFF, 0xD9]);
        assert_eq!(clean(&no_frame).err(), Some(Flaw::Malformed));
        let mut junk = vec![0xFF, 0xD8, 0xFF, 0xE0];
        junk.resize(1000, 0);
        assert!(clean(&junk).is_err());
    }
}
