//! Minimal NumPy `.npy` (format 1.0) writer for little-endian u32 arrays.

/// `.npy` bytes of a C-order `<u4` array of the given shape.
pub fn npy_u32(shape: &[usize], data: &[u32]) -> Vec<u8> {
    debug_assert_eq!(shape.iter().product::<usize>(), data.len());
    let mut bytes = npy_u32_header(shape);
    bytes.reserve(4 * data.len());
    for v in data {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    bytes
}

/// The bytes before the data of [`npy_u32`]: magic, version, header length and header.
pub fn npy_u32_header(shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape_text = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<u4', 'fortran_order': False, 'shape': {shape_text}, }}");
    // magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    header.push('\n');
    let mut bytes = Vec::with_capacity(10 + header.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes
}

#[cfg(test)]
mod tests {
    #[test]
    fn header_is_aligned_and_data_little_endian() {
        let bytes = super::npy_u32(&[2, 2], &[1, 2, 3, 0xdead_beef]);
        let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
        assert_eq!((10 + header_len) % 64, 0);
        let header = std::str::from_utf8(&bytes[10..10 + header_len]).unwrap();
        assert!(header.contains("'shape': (2, 2)") && header.ends_with('\n'));
        assert_eq!(
            &bytes[10 + header_len + 12..],
            &0xdead_beefu32.to_le_bytes()
        );
    }
}
