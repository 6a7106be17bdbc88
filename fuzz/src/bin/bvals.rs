//! b-value parsing: any bytes as an FSL `.bval` file.

#[global_allocator]
static ALLOC: livermet_fuzz::CappedAlloc = livermet_fuzz::CappedAlloc;

fn main() {
    let dir = livermet_fuzz::scratch();
    afl::fuzz!(|data: &[u8]| {
        livermet_fuzz::cap_for(data.len());
        let p = livermet_fuzz::put(&dir, "dwi.bval", data);
        let _ = livermet_io::read_bvals(&p);
    });
}
