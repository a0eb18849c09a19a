//! The position a phone wrote into a photo (EXIF GPS latitude and longitude), read from the
//! bytes as received, before the served copy loses it. Read only for a reporter who agreed that
//! the photo's place may be used (reports' evidence); nothing else of the EXIF block is read.
//! JPEG only: its EXIF block is an APP1 segment before the first scan.

/// The GPS position (latitude, longitude in degrees) of a JPEG, if its EXIF block has a valid one.
pub fn jpeg_position(b: &[u8]) -> Option<(f64, f64)> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return None;
    }
    let mut pos = 2;
    loop {
        if *b.get(pos)? != 0xFF {
            return None;
        }
        while *b.get(pos + 1)? == 0xFF {
            pos += 1;
        }
        let marker = *b.get(pos + 1)?;
        pos += 2;
        match marker {
            // Start of scan or end of image: no EXIF block before them.
            0xDA | 0xD9 => return None,
            0xD0..=0xD7 | 0x01 => continue,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*b.get(pos)?, *b.get(pos + 1)?]));
        let body = b.get(pos + 2..pos + len.max(2))?;
        if marker == 0xE1
            && let Some(tiff) = body.strip_prefix(b"Exif\0\0")
        {
            return tiff_position(tiff);
        }
        pos += len.max(2);
    }
}

/// The GPS position in a TIFF structure (the body of an EXIF block): IFD0's GPS pointer
/// (0x8825), then the GPS IFD's LatitudeRef (1), Latitude (2), LongitudeRef (3), Longitude (4).
pub fn tiff_position(t: &[u8]) -> Option<(f64, f64)> {
    let big = match t.get(..4)? {
        [b'M', b'M', 0, 42] => true,
        [b'I', b'I', 42, 0] => false,
        _ => return None,
    };
    let u16_at = |i: usize| -> Option<u16> {
        let b = t.get(i..i.checked_add(2)?)?;
        Some(if big { u16::from_be_bytes([b[0], b[1]]) } else { u16::from_le_bytes([b[0], b[1]]) })
    };
    let u32_at = |i: usize| -> Option<u32> {
        let b = t.get(i..i.checked_add(4)?)?;
        let a = [b[0], b[1], b[2], b[3]];
        Some(if big { u32::from_be_bytes(a) } else { u32::from_le_bytes(a) })
    };
    // (type, count, offset of the value field) of `tag` in the IFD at `ifd`.
    let entry = |ifd: usize, tag: u16| -> Option<(u16, u32, usize)> {
        let count = usize::from(u16_at(ifd)?);
        (0..count.min(512)).find_map(|n| {
            let e = ifd + 2 + 12 * n;
            (u16_at(e)? == tag).then(|| Some((u16_at(e + 2)?, u32_at(e + 4)?, e + 8))).flatten()
        })
    };
    let ifd0 = usize::try_from(u32_at(4)?).ok()?;
    let (_, _, gps_ptr) = entry(ifd0, 0x8825)?;
    let gps = usize::try_from(u32_at(gps_ptr)?).ok()?;
    let reference = |tag: u16| -> Option<u8> {
        let (kind, _, at) = entry(gps, tag)?;
        (kind == 2).then(|| t.get(at).copied()).flatten()
    };
    const RATIONAL: u16 = 5;
    let degrees = |tag: u16| -> Option<f64> {
        let (kind, count, at) = entry(gps, tag)?;
        if kind != RATIONAL || count != 3 {
            return None;
        }
        let values = usize::try_from(u32_at(at)?).ok()?;
        let mut parts = [0f64; 3];
        for (i, p) in parts.iter_mut().enumerate() {
            let (num, den) = (u32_at(values + 8 * i)?, u32_at(values + 8 * i + 4)?);
            if den == 0 {
                return None;
            }
            *p = f64::from(num) / f64::from(den);
        }
        Some(parts[0] + parts[1] / 60.0 + parts[2] / 3600.0)
    };
    let lat = match reference(1)? {
        b'N' => degrees(2)?,
        b'S' => -degrees(2)?,
        _ => return None,
    };
    let lon = match reference(3)? {
        b'E' => degrees(4)?,
        b'W' => -degrees(4)?,
        _ => return None,
    };
    (lat.is_finite() && lon.is_finite() && lat.abs() <= 90.0 && lon.abs() <= 180.0).then_some((lat, lon))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A little-endian TIFF whose GPS IFD holds `lat` N and `lon` E as degrees, minutes and
    /// hundredths of seconds.
    pub(crate) fn tiff_at(lat: f64, lon: f64) -> Vec<u8> {
        let dms = |v: f64| {
            let d = v.trunc();
            let m = ((v - d) * 60.0).trunc();
            let s = ((v - d) * 60.0 - m) * 60.0;
            [(d as u32, 1u32), (m as u32, 1), ((s * 100.0).round() as u32, 100)]
        };
        let mut t = b"II\x2A\0\x08\0\0\0".to_vec();
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32| {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value.to_le_bytes());
        };
        // IFD0 at 8: the GPS pointer only; GPS IFD at 26 with four entries; rationals at 80.
        t.extend_from_slice(&1u16.to_le_bytes());
        entry(&mut t, 0x8825, 4, 1, 26);
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(&4u16.to_le_bytes());
        entry(&mut t, 1, 2, 2, u32::from(b'N'));
        entry(&mut t, 2, 5, 3, 80);
        entry(&mut t, 3, 2, 2, u32::from(b'E'));
        entry(&mut t, 4, 5, 3, 104);
        t.extend_from_slice(&0u32.to_le_bytes());
        t.resize(80, 0);
        for (n, d) in dms(lat).into_iter().chain(dms(lon)) {
            t.extend_from_slice(&n.to_le_bytes());
            t.extend_from_slice(&d.to_le_bytes());
        }
        t
    }

    fn jpeg_with(tiff: &[u8]) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0];
        let mut exif = b"Exif\0\0".to_vec();
        exif.extend_from_slice(tiff);
        j.extend_from_slice(&[0xFF, 0xE1]);
        j.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        j.extend(exif);
        j.extend_from_slice(&[0xFF, 0xDA, 0, 2, 0xFF, 0xD9]);
        j
    }

    #[test]
    fn a_photos_position_is_read_from_its_exif_block() {
        let (lat, lon) = jpeg_position(&jpeg_with(&tiff_at(20.9517, 107.048))).expect("a position");
        assert!((lat - 20.9517).abs() < 1e-4 && (lon - 107.048).abs() < 1e-4, "{lat} {lon}");
    }

    #[test]
    fn broken_or_missing_positions_are_none() {
        assert_eq!(jpeg_position(b"\xFF\xD8\xFF\xDA\0\x02"), None, "no EXIF before the scan");
        assert_eq!(jpeg_position(b"not a jpeg"), None);
        let mut t = tiff_at(20.0, 107.0);
        // A zero denominator.
        t[84..88].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(jpeg_position(&jpeg_with(&t)), None);
        let mut cut = jpeg_with(&tiff_at(20.0, 107.0));
        cut.truncate(40);
        assert_eq!(jpeg_position(&cut), None);
        assert_eq!(tiff_position(b"II\x2A\0\xFF\xFF\xFF\xFF"), None);
    }
}
