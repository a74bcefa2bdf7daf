import Testing
@testable import PachctlKit

struct TextTableTests {
    @Test func columnsAlignOnTheWidestCellWithThreeSpaces() {
        var table = TextTable(headers: ["NAME", "CREATED", "SIZE"])
        table.append(["images", "3 minutes ago", "1.2 MiB"])
        table.append(["a", "-", "0 B"])
        #expect(
            table.render() == """
                NAME     CREATED         SIZE
                images   3 minutes ago   1.2 MiB
                a        -               0 B

                """)
    }

    /// A streamed table renders one block exactly as `TextTable`, and later blocks keep the columns at
    /// least as wide as before.
    @Test func streamedBlocksNeverNarrowTheColumns() {
        var table = TextTable(headers: ["NAME", "SIZE"])
        table.append(["a-long-name", "1 B"])
        var stream = TextTableStream(headers: ["NAME", "SIZE"])
        #expect(stream.render([["a-long-name", "1 B"]]) == table.render())
        #expect(stream.render([["b", "22 B"]]) == "b             22 B\n")
        #expect(stream.render([["an-even-longer-name", "3"]]) == "an-even-longer-name   3\n")
        #expect(stream.finish() == "")
        var empty = TextTableStream(headers: ["NAME", "SIZE"])
        #expect(empty.finish() == "NAME   SIZE\n")
    }

    @Test func noTrailingSpacesWhenTheLastCellIsEmpty() {
        var table = TextTable(headers: ["NAME", "DESCRIPTION"])
        table.append(["images", ""])
        #expect(table.render() == "NAME     DESCRIPTION\nimages\n")
    }

    @Test func lineBreaksInCellsBecomeSpaces() {
        var table = TextTable(headers: ["A", "B"])
        table.append(["x\ny", "z\tw"])
        #expect(table.render() == "A     B\nx y   z w\n")
    }

    @Test func headersOnlyForNoRows() {
        #expect(TextTable(headers: ["NAME", "CREATED"]).render() == "NAME   CREATED\n")
    }

    @Test func widthCountsCharactersNotBytes() {
        var table = TextTable(headers: ["N", "X"])
        table.append(["été", "1"])
        #expect(table.render() == "N     X\nété   1\n")
    }

    @Test func detailListAlignsValuesAndIndentsContinuationLines() {
        var list = DetailList()
        list.append("Name", "images")
        list.append("Description", "line one\nline two")
        list.append("Empty", "")
        #expect(
            list.render() == """
                Name:        images
                Description: line one
                             line two
                Empty:

                """)
    }
}
