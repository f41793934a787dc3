module github.com/nimsproject/nims

go 1.26.8
