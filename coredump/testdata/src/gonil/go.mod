module gonil

go 1.21
