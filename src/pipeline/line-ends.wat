;; Drops the CR of every CRLF, 16 bytes at a time: the line-end normalization of the body hash
;; (src/pipeline/line-ends.ts has the same rule in JavaScript, the fallback and the reference).
;; Compiled into src/pipeline/line-ends-wasm.ts by `npm run build:wasm` (tools/build-wasm.ts).
;;
;; Memory: bytes 0-2047 and 2048-4095 are two tables the caller fills once (line-ends.ts): for each
;; 8-bit mask of bytes to drop from the low (high) half of a 16-byte block, the i8x16.swizzle
;; indices of the bytes kept, in order. The data starts at 4096 and is compacted in place; it must
;; have at least 32 bytes of room after it (the last block's look-ahead and 8-byte stores).
(module
  (memory (export "memory") 1)
  ;; After each call: the LFs in the data, and the CRs dropped (CRLFs).
  (global (export "lfs") (mut i32) (i32.const 0))
  (global (export "crlfs") (mut i32) (i32.const 0))
  ;; Returns the length of the compacted data.
  (func (export "compact") (param $len i32) (result i32)
    (local $r i32) (local $w i32) (local $end i32) (local $v v128) (local $drop i32) (local $half i32)
    (local $lfs i32) (local $crlfs i32) (local $b i32)
    ;; Whole blocks while byte r+16 exists (the block's last CR looks at it).
    (local.set $end (i32.sub (local.get $len) (i32.const 16)))
    (block $done
      (loop $blocks
        (br_if $done (i32.ge_s (local.get $r) (local.get $end)))
        (local.set $v (v128.load offset=4096 align=1 (local.get $r)))
        (local.set $lfs (i32.add (local.get $lfs)
          (i32.popcnt (i8x16.bitmask (i8x16.eq (local.get $v) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10))))))
        ;; Bit i: byte i is CR and byte i+1 is LF.
        (local.set $drop (i32.and
          (i8x16.bitmask (i8x16.eq (local.get $v) (v128.const i8x16 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13 13)))
          (i8x16.bitmask (i8x16.eq (v128.load offset=4097 align=1 (local.get $r)) (v128.const i8x16 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10 10)))))
        (if (i32.eqz (local.get $drop))
          (then
            (v128.store offset=4096 align=1 (local.get $w) (local.get $v))
            (local.set $w (i32.add (local.get $w) (i32.const 16))))
          (else
            ;; Each half through its table: 8 bytes stored, as many kept as the mask leaves. The
            ;; stores stay below r+16 (w <= r), so the next block is not yet overwritten.
            (local.set $crlfs (i32.add (local.get $crlfs) (i32.popcnt (local.get $drop))))
            (local.set $half (i32.and (local.get $drop) (i32.const 255)))
            (i64.store offset=4096 align=1 (local.get $w)
              (i64x2.extract_lane 0 (i8x16.swizzle (local.get $v)
                (v128.load64_zero align=1 (i32.shl (local.get $half) (i32.const 3))))))
            (local.set $w (i32.sub (i32.add (local.get $w) (i32.const 8)) (i32.popcnt (local.get $half))))
            (local.set $half (i32.shr_u (local.get $drop) (i32.const 8)))
            (i64.store offset=4096 align=1 (local.get $w)
              (i64x2.extract_lane 0 (i8x16.swizzle (local.get $v)
                (v128.load64_zero offset=2048 align=1 (i32.shl (local.get $half) (i32.const 3))))))
            (local.set $w (i32.sub (i32.add (local.get $w) (i32.const 8)) (i32.popcnt (local.get $half))))))
        (local.set $r (i32.add (local.get $r) (i32.const 16)))
        (br $blocks)))
    ;; The last bytes one at a time; a CR last in the data is kept (nothing follows it here).
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $r) (local.get $len)))
        (local.set $b (i32.load8_u offset=4096 (local.get $r)))
        (if (i32.eq (local.get $b) (i32.const 10))
          (then (local.set $lfs (i32.add (local.get $lfs) (i32.const 1)))))
        (if (i32.and
              (i32.eq (local.get $b) (i32.const 13))
              (i32.and
                (i32.lt_u (i32.add (local.get $r) (i32.const 1)) (local.get $len))
                (i32.eq (i32.load8_u offset=4097 (local.get $r)) (i32.const 10))))
          (then (local.set $crlfs (i32.add (local.get $crlfs) (i32.const 1))))
          (else
            (i32.store8 offset=4096 (local.get $w) (local.get $b))
            (local.set $w (i32.add (local.get $w) (i32.const 1)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $tail)))
    (global.set 0 (local.get $lfs))
    (global.set 1 (local.get $crlfs))
    (local.get $w)))
