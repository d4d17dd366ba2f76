"""ISO/IEC 27001:2022 risk register: Annex A catalogue, register, matrix, scoring, SoA."""
